"""The three places that pin dependencies agree: pyproject.toml, environment.yml, requirements.lock."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["test"]
    pins = {}
    for spec in specs:
        name, sep, version = spec.partition("==")
        assert sep, f"pyproject.toml: {spec!r} is not pinned with =="
        pins[name.strip().lower()] = version.strip()
    return pins


def environment_pins() -> tuple[str, dict[str, str]]:
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    python = re.search(r"^\s*-\s*python=(\S+)", text, re.M).group(1)
    pins = dict(
        (name.lower(), version)
        for name, version in re.findall(r"^\s*-\s*([A-Za-z0-9_.-]+)==(\S+)\s*$", text, re.M)
    )
    return python, pins


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def test_environment_yml_pins_exactly_what_pyproject_pins():
    python, pins = environment_pins()
    assert python == "3.11"
    assert pins == pyproject_pins()


def test_lock_file_agrees_with_every_direct_pin():
    lock = lock_pins()
    for name, version in pyproject_pins().items():
        assert lock.get(name) == version, f"requirements.lock has {name}=={lock.get(name)}, pyproject {version}"


def test_tensorflow_is_the_cross_platform_package_not_cpu_only():
    assert "tensorflow" in pyproject_pins() and "tensorflow-cpu" not in pyproject_pins()
