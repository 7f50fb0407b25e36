"""The Intercom-Version header: which versions exist and which pagination style each gets."""

from __future__ import annotations

from parlour.errors import VersionInvalid

# Every version Intercom has published up to the newest description we ship, plus Unstable.
KNOWN_VERSIONS: frozenset[str] = frozenset(
    [f"1.{minor}" for minor in range(5)] + [f"2.{minor}" for minor in range(17)] + ["Unstable"]
)
DEFAULT_VERSION = "2.14"


def resolve_version(header: str | None, workspace_default: str) -> str:
    """The version a request speaks: its header, else the workspace's default."""
    if header is None or not header.strip():
        return workspace_default
    value = header.strip()
    if value.lower() == "unstable":
        return "Unstable"
    if value not in KNOWN_VERSIONS:
        raise VersionInvalid(f"The requested version could not be found: {value[:32]}")
    return value


def uses_legacy_pages(version: str) -> bool:
    """True for 1.x, whose lists page by number with a URL in `pages.next`."""
    return version.startswith("1.")
