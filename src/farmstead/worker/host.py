"""What this host is: host properties and the capabilities a worker reports with UpdateWorker STARTED.

Owns: detecting vCPUs, memory, OS family, CPU architecture and scratch disk (NVIDIA GPUs: gpus.py);
parsing the custom `--amount NAME=VALUE` / `--attribute NAME=V1,V2` flags and the capabilities file; building the
`capabilities` and `hostProperties` request shapes. The parsing functions are pure so they can be
tested with canned text. Must not: call the server.
"""

from __future__ import annotations

import ipaddress
import os
import platform
import re
import shutil
import socket
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from farmstead.worker import gpus

#: The model's bounds (WorkerCapabilities): at least 2 and at most 17 of each.
MAX_CAPABILITIES = 17
# The model's AmountCapabilityName and AttributeCapabilityName patterns.
AMOUNT_NAME = re.compile(r"([a-zA-Z][a-zA-Z0-9]{0,63}:)?amount(\.[a-zA-Z][a-zA-Z0-9]{0,63})+")
ATTRIBUTE_NAME = re.compile(r"([a-zA-Z][a-zA-Z0-9]{0,63}:)?attr(\.[a-zA-Z][a-zA-Z0-9]{0,63})+")
# The built-in names are the service's to fill in (OpenJD reserves the `worker.` namespace).
_RESERVED = ("amount.worker.", "attr.worker.")
_ARCHITECTURES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


class CapabilityError(ValueError):
    """A custom capability flag or file entry that the service would refuse."""


@dataclass
class Custom:
    """Custom capabilities from flags and the capabilities file, by full OpenJD name."""

    amounts: dict[str, float] = field(default_factory=dict)
    attributes: dict[str, list[str]] = field(default_factory=dict)


def os_family(platform_name: str = sys.platform) -> str:
    """OpenJD's `attr.worker.os.family` value for a `sys.platform` string."""
    if platform_name.startswith("win"):
        return "windows"
    if platform_name == "darwin":
        return "macos"
    return "linux"


def cpu_arch(machine: str | None = None) -> str:
    """OpenJD's `attr.worker.cpu.arch` value (x86_64 or arm64) for a `platform.machine()` string."""
    machine = (machine if machine is not None else platform.machine()).lower()
    return _ARCHITECTURES.get(machine, machine or "x86_64")


def memory_mib_from_meminfo(text: str) -> int | None:
    """MemTotal from /proc/meminfo text, in MiB."""
    match = re.search(r"^MemTotal:\s+(\d+)\s*kB", text, re.MULTILINE)
    return int(match.group(1)) // 1024 if match else None


def detect_memory_mib() -> int:
    try:
        found = memory_mib_from_meminfo(Path("/proc/meminfo").read_text())
        if found:
            return found
    except OSError:
        pass
    try:  # macOS and other POSIX systems without /proc
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    except (ValueError, OSError, AttributeError):
        return 0


def detect_scratch_mib(path: Path) -> int:
    try:
        return shutil.disk_usage(path).free // (1024 * 1024)
    except OSError:
        return 0


def amount_name(name: str) -> str:
    """`licenses` → `amount.licenses`; full names (`amount.x`, `vendor:amount.x`) are kept."""
    full = name if (name.startswith("amount.") or ":" in name) else f"amount.{name}"
    if not AMOUNT_NAME.fullmatch(full) or len(full) > 100:
        raise CapabilityError(f"{name!r} is not a valid amount capability name (like amount.licenses)")
    if full.startswith(_RESERVED[0]):
        raise CapabilityError(f"{full!r}: names under amount.worker. are detected, not set by hand")
    return full


def attribute_name(name: str) -> str:
    """`renderer` → `attr.renderer`; full names (`attr.x`, `vendor:attr.x`) are kept."""
    full = name if (name.startswith("attr.") or ":" in name) else f"attr.{name}"
    if not ATTRIBUTE_NAME.fullmatch(full) or len(full) > 100:
        raise CapabilityError(f"{name!r} is not a valid attribute capability name (like attr.renderer)")
    if full.startswith(_RESERVED[1]):
        raise CapabilityError(f"{full!r}: names under attr.worker. are detected, not set by hand")
    return full


def parse_amount_flag(flag: str) -> tuple[str, float]:
    name, sep, value = flag.partition("=")
    if not sep:
        raise CapabilityError(f"--amount {flag!r}: expected NAME=VALUE")
    try:
        number = float(value)
    except ValueError:
        raise CapabilityError(f"--amount {flag!r}: {value!r} is not a number") from None
    if number < 0:
        raise CapabilityError(f"--amount {flag!r}: amounts can't be negative")
    return amount_name(name.strip()), number


def parse_attribute_flag(flag: str) -> tuple[str, list[str]]:
    name, sep, values = flag.partition("=")
    items = [v.strip() for v in values.split(",") if v.strip()]
    if not sep or not items:
        raise CapabilityError(f"--attribute {flag!r}: expected NAME=VALUE[,VALUE...]")
    if len(items) > 10:
        raise CapabilityError(f"--attribute {flag!r}: at most 10 values")
    return attribute_name(name.strip()), items


def custom_from_file(text: str) -> Custom:
    """A TOML capabilities file: `[amounts]` name = number, `[attributes]` name = "v" or ["v1", "v2"]."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise CapabilityError(f"capabilities file: {err}") from None
    custom = Custom()
    for name, value in (data.get("amounts") or {}).items():
        custom.amounts.update([parse_amount_flag(f"{name}={value}")])
    for name, value in (data.get("attributes") or {}).items():
        values = value if isinstance(value, list) else [value]
        custom.attributes.update([parse_attribute_flag(f"{name}={','.join(str(v) for v in values)}")])
    return custom


def custom_capabilities(amount_flags: list[str], attribute_flags: list[str], file_text: str | None = None) -> Custom:
    """Merge the file (if any) and the flags; flags win over the file for the same name."""
    custom = custom_from_file(file_text) if file_text else Custom()
    custom.amounts.update(parse_amount_flag(flag) for flag in amount_flags)
    custom.attributes.update(parse_attribute_flag(flag) for flag in attribute_flags)
    return custom


@dataclass(frozen=True)
class Detected:
    vcpus: int
    memory_mib: int
    os_family: str
    cpu_arch: str
    scratch_mib: int
    gpus: float
    #: The smallest card's memory: what a job can count on whichever card it gets, as the official
    #: agent reports amount.worker.gpu.memory.
    gpu_memory_mib: int
    #: The cards' models as `attr.gpu.model` values (gpus.model_value), in NVML order, each once.
    gpu_models: tuple[str, ...] = ()


def detect(work_dir: Path, found_gpus: list[gpus.Gpu] | None = None) -> Detected:
    """This host; `found_gpus` when the caller detected them already (gpus.detect)."""
    cards = gpus.detect() if found_gpus is None else found_gpus
    return Detected(vcpus=os.cpu_count() or 1, memory_mib=detect_memory_mib(), os_family=os_family(),
                    cpu_arch=cpu_arch(), scratch_mib=detect_scratch_mib(work_dir), gpus=len(cards),
                    gpu_memory_mib=min((card.memory_mib for card in cards), default=0),
                    gpu_models=models(cards))


def models(cards: list[gpus.Gpu]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(gpus.model_value(card.name) for card in cards))


def capabilities(detected: Detected, custom: Custom) -> dict[str, list[dict[str, Any]]]:
    """The UpdateWorker `capabilities` shape: built-in amounts and attributes, then the custom ones."""
    amounts = [
        {"name": "amount.worker.vcpu", "value": float(detected.vcpus)},
        {"name": "amount.worker.memory", "value": float(detected.memory_mib)},
        {"name": "amount.worker.disk.scratch", "value": float(detected.scratch_mib)},
        {"name": "amount.worker.gpu", "value": float(detected.gpus)},
        {"name": "amount.worker.gpu.memory", "value": float(detected.gpu_memory_mib)},
    ]
    amounts += [{"name": name, "value": value} for name, value in sorted(custom.amounts.items())]
    attributes = [{"name": "attr.worker.os.family", "values": [detected.os_family]},
                  {"name": "attr.worker.cpu.arch", "values": [detected.cpu_arch]}]
    if detected.gpu_models and gpus.MODEL_ATTRIBUTE not in custom.attributes:  # a flag of that name wins
        attributes.append({"name": gpus.MODEL_ATTRIBUTE, "values": list(detected.gpu_models[:10])})
    attributes += [{"name": name, "values": values} for name, values in sorted(custom.attributes.items())]
    if len(amounts) > MAX_CAPABILITIES or len(attributes) > MAX_CAPABILITIES:
        raise CapabilityError(f"at most {MAX_CAPABILITIES - 5} custom amounts and "
                              f"{MAX_CAPABILITIES - (len(attributes) - len(custom.attributes))} custom attributes "
                              "are allowed")
    return {"amounts": amounts, "attributes": attributes}


def host_name(raw: str | None = None) -> str:
    """The host name, with characters the model's HostName pattern refuses replaced."""
    return re.sub(r"[^a-zA-Z0-9_.\-]", "-", raw if raw is not None else socket.gethostname())[:255]


def split_addresses(addresses: list[str]) -> dict[str, list[str]]:
    """`ipAddresses` from address strings: IPv4 as is, IPv6 fully exploded in upper case (the model's
    pattern); loopback, link-local and duplicates left out."""
    v4: list[str] = []
    v6: list[str] = []
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.split("%")[0])
        except ValueError:
            continue
        if address.is_loopback or address.is_link_local or address.is_unspecified:
            continue
        if address.version == 4 and str(address) not in v4:
            v4.append(str(address))
        elif address.version == 6 and address.exploded.upper() not in v6:
            v6.append(address.exploded.upper())
    return {"ipV4Addresses": v4, "ipV6Addresses": v6}


def detect_addresses() -> list[str]:
    found: list[str] = []
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            found.append(str(info[4][0]))  # an address (the port is 0): str for IPv4 and IPv6 alike
    except OSError:
        pass
    # The address the default route leaves from: a UDP connect sends nothing.
    for family, target in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                probe.connect((target, 9))
                found.append(probe.getsockname()[0])
        except OSError:
            continue
    return found


def host_properties() -> dict[str, Any]:
    return {"hostName": host_name(), "ipAddresses": split_addresses(detect_addresses())}
