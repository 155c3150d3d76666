"""Install the browser assets of package-lock.json without npm (stdlib only, any Python 3.11+).

`make setup` uses npm when it is there. On a machine without it (a fresh Debian with only
python3), this does the part of `npm ci` the project needs: for every package the lock file
lists, download its tarball (the lock's `resolved` address, else the registry's usual address
for that name and version), check it against the lock's `integrity` hash, and unpack it where
npm would (`node_modules/...`). No install scripts run; none of these packages needs one. A
package already present at the locked version is left alone.
"""

import base64
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path, PurePosixPath

# npm's own setting, which npm reads in either case.
REGISTRY = (
    os.environ.get("npm_config_registry")  # noqa: SIM112
    or os.environ.get("NPM_CONFIG_REGISTRY")
    or "https://registry.npmjs.org"
).rstrip("/")


def tarball_url(name: str, version: str, entry: dict[str, object]) -> str:
    resolved = entry.get("resolved")
    if isinstance(resolved, str) and resolved.startswith("https://"):
        return resolved
    return f"{REGISTRY}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"


def check_integrity(data: bytes, integrity: str, name: str) -> None:
    """Subresource Integrity: `algo-base64digest`, any of several (space separated) may match."""
    for item in integrity.split():
        algorithm, _, expected = item.partition("-")
        if algorithm in ("sha512", "sha384", "sha256", "sha1"):
            digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
            if digest == expected:
                return
    raise SystemExit(f"error: {name}: the downloaded tarball does not match its integrity hash in package-lock.json")


def unpack(data: bytes, target: Path) -> None:
    """Unpack an npm tarball (files under `package/`) into `target`, refusing paths that leave it."""
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            parts = PurePosixPath(member.name).parts[1:]  # drop the top folder (`package/`)
            if not parts or member.name.startswith("/") or ".." in parts:
                continue
            if not (member.isfile() or member.isdir()):
                continue  # no links or devices in browser assets
            destination = staging.joinpath(*parts)
            if member.isdir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            if source is None:
                continue
            with source, open(destination, "wb") as out:
                shutil.copyfileobj(source, out)
            destination.chmod(0o755 if member.mode & 0o111 else 0o644)
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(target)


def installed_version(target: Path) -> str | None:
    try:
        return str(json.loads((target / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def main(root: Path) -> int:
    lock = json.loads((root / "package-lock.json").read_text())
    packages: dict[str, dict[str, object]] = lock.get("packages", {})
    fetched = 0
    for path, entry in sorted(packages.items()):
        if not path.startswith("node_modules/") or entry.get("link"):
            continue
        name = path.rsplit("node_modules/", 1)[1]
        version = str(entry["version"])
        target = root / path
        if installed_version(target) == version:
            continue
        url = tarball_url(name, version, entry)
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read()
        check_integrity(data, str(entry.get("integrity", "")), name)
        unpack(data, target)
        fetched += 1
    print(f"browser assets: {fetched} package(s) installed from package-lock.json without npm")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()))
