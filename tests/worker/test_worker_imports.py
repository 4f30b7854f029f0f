"""The worker and its CLI talk to the server through boto3 only: no server room is imported."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "farmstead"
SERVER_ROOMS = ("farmstead.store", "farmstead.api", "farmstead.protocol", "farmstead.domain", "farmstead.logs",
                "farmstead.background", "sqlalchemy", "starlette")
#: The exceptions, each standard library only: the model's StrEnums (generated), the words a client speaks;
#: and a worker's sleep schedule, a pure rule kept with the others in domain/ (tested there without HTTP).
CLIENT_SIDE = ("farmstead.protocol.shapes", "farmstead.domain.work_schedules")


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_worker_and_its_commands_import_no_server_code():
    paths = sorted((SRC / "worker").rglob("*.py")) + [SRC / "cli" / "worker.py", SRC / "cli" / "logs.py"]
    offenders = [f"{path.relative_to(SRC)} imports {name}" for path in paths for name in imports(path)
                 if name not in CLIENT_SIDE
                 and any(name == room or name.startswith(room + ".") for room in SERVER_ROOMS)]
    assert offenders == []


def test_the_server_modules_the_worker_may_import_use_the_standard_library_only():
    for name in CLIENT_SIDE:
        path = SRC.parent / (name.replace(".", "/") + ".py")
        assert not {imported for imported in imports(path) if imported.startswith("farmstead")
                    or imported.split(".")[0] in ("sqlalchemy", "starlette", "botocore", "boto3")}, name
