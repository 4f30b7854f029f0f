"""GET /metrics on a live server, parsed with prometheus_client's own parser: samples by name and labels."""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families


@dataclass
class Scrape:
    text: str
    #: Family name -> its type ("counter", "gauge", "histogram", ...), for every family exposed.
    families: dict[str, str]
    #: (sample name, sorted label items) -> value.
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]

    def value(self, name: str, **labels: str) -> float:
        """The sample with exactly these labels; 0 when absent (a family whose child was never made)."""
        return self.samples.get((name, tuple(sorted(labels.items()))), 0.0)

    def matching(self, name: str, **labels: str) -> dict[tuple[tuple[str, str], ...], float]:
        """Every sample of `name` whose labels include `labels`."""
        return {key: value for (sample, key), value in self.samples.items()
                if sample == name and set(labels.items()) <= set(key)}

    def sample_names(self) -> set[str]:
        return {name for name, _ in self.samples} | set(self.families)


def scrape(endpoint: str, headers: dict[str, str] | None = None) -> Scrape:
    with urllib.request.urlopen(urllib.request.Request(f"{endpoint}/metrics", headers=headers or {}),
                                timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    families, samples = {}, {}
    for family in text_string_to_metric_families(text):
        families[family.name] = family.type
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return Scrape(text, families, samples)


def status_of(endpoint: str, headers: dict[str, str] | None = None) -> int:
    """The HTTP status a GET /metrics is answered with."""
    import urllib.error

    try:
        with urllib.request.urlopen(urllib.request.Request(f"{endpoint}/metrics", headers=headers or {}),
                                    timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
