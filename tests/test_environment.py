"""The three places that pin dependencies agree: pyproject.toml, environment.yml, requirements.lock.

environment.yml (conda, Binder) carries the course and its tests; the `site` extra (the web
edition and its browser test) is pinned in pyproject.toml and requirements.lock only.
"""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pyproject_pins(extras: tuple[str, ...] = ("test",)) -> dict[str, str]:
    """name -> version of the direct dependencies and the given extras (environment markers dropped)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"
    ]
    specs = project["dependencies"] + [
        s for extra in extras for s in project["optional-dependencies"][extra]
    ]
    pins = {}
    for spec in specs:
        requirement = spec.partition(";")[0]
        name, sep, version = requirement.partition("==")
        assert sep, f"pyproject.toml: {spec!r} is not pinned with =="
        pins[name.strip().lower()] = version.strip()
    return pins


def environment_pins() -> tuple[str, dict[str, str]]:
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    python = re.search(r"^\s*-\s*python=(\S+)", text, re.M).group(1)
    pins = dict(
        (name.lower(), version)
        for name, version in re.findall(
            r"^\s*-\s*([A-Za-z0-9_.-]+)==(\S+)\s*$", text, re.M
        )
    )
    return python, pins


def lock_entries() -> list[tuple[str, str, str]]:
    """(name, version, environment marker or '') for every pin in requirements.lock."""
    entries = []
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("#") or "==" not in line:
            continue
        requirement, _, marker = line.partition(";")
        name, _, version = requirement.partition("==")
        entries.append(
            (name.strip().lower().replace("_", "-"), version.strip(), marker.strip())
        )
    return entries


def lock_pins(environment: dict | None = None) -> dict[str, str]:
    """name -> version of the pins that apply on this platform (or ``environment``).

    The lock is universal (``uv pip compile --universal``): a package needed only on
    some platforms or Python versions carries a marker, so the same file serves Linux,
    macOS and Windows and these tests read it the same way on each.
    """
    from packaging.markers import Marker

    pins = {}
    for name, version, marker in lock_entries():
        if not marker or Marker(marker).evaluate(environment):
            assert name not in pins, f"requirements.lock pins {name} twice here"
            pins[name] = version
    return pins


def test_environment_yml_pins_exactly_what_pyproject_pins():
    python, pins = environment_pins()
    assert python == "3.11"
    assert pins == pyproject_pins()


def test_lock_file_agrees_with_every_direct_pin():
    lock = lock_pins()
    for name, version in pyproject_pins(("test", "site")).items():
        assert lock.get(name) == version, (
            f"requirements.lock has {name}=={lock.get(name)}, pyproject {version}"
        )


#: Environments the lock must serve: the platforms README.md names, at 3.11 and 3.13.
PLATFORMS = {
    "linux": {"sys_platform": "linux", "os_name": "posix", "platform_system": "Linux"},
    "macos": {
        "sys_platform": "darwin",
        "os_name": "posix",
        "platform_system": "Darwin",
    },
    "windows": {"sys_platform": "win32", "os_name": "nt", "platform_system": "Windows"},
}


def test_lock_is_universal_with_platform_markers():
    """appnope (macOS), colorama and pywinpty (Windows) are pinned for their platform only."""
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert "uv pip compile pyproject.toml --all-extras --universal" in text
    entries = {name: marker for name, _, marker in lock_entries()}
    assert "sys_platform == 'darwin'" in entries["appnope"]
    assert "sys_platform == 'win32'" in entries["colorama"]
    assert "os_name == 'nt'" in entries["pywinpty"]
    for platform_name, markers in PLATFORMS.items():
        for python in ("3.11", "3.13"):
            environment = {
                "python_version": python,
                "python_full_version": f"{python}.9",
                "implementation_name": "cpython",
                **markers,
            }
            pins = lock_pins(environment)
            for name, version in pyproject_pins(("test", "site")).items():
                assert pins.get(name) == version, (platform_name, python, name)
    assert ("appnope" in lock_pins({**PLATFORMS["macos"]})) and (
        "appnope" not in lock_pins({**PLATFORMS["linux"]})
    )


def test_requires_python_is_what_the_pins_install_on():
    """numpy 2.4, scipy 1.17, keras 3.15 need Python 3.11; TensorFlow 2.21 has no 3.14 wheels."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["requires-python"] == ">=3.11,<3.14"


def test_tensorflow_is_the_cross_platform_package_not_cpu_only():
    assert "tensorflow" in pyproject_pins() and "tensorflow-cpu" not in pyproject_pins()


def test_the_site_extra_is_pinned_and_kept_out_of_the_learners_environment():
    site = pyproject_pins(("site",)).keys() - pyproject_pins(()).keys()
    assert {"sphinx", "myst-nb", "sphinx-book-theme", "playwright"} <= site
    _, conda = environment_pins()
    assert not site & conda.keys(), (
        "environment.yml (Binder) should not install the web edition's builder"
    )


def test_every_installed_package_is_in_the_lock_at_its_version():
    """What `make venv` / `make site` installed (from the lock) is all in the lock: nothing unpinned."""
    from importlib import metadata

    lock = lock_pins()
    tooling = {"pip", "setuptools", "wheel", "course-utils"}
    unpinned = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"].lower().replace("_", "-")
        if name not in tooling and lock.get(name) != dist.version:
            unpinned[name] = (dist.version, lock.get(name))
    assert not unpinned, f"installed (version, locked version): {unpinned}"
