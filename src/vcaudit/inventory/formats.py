"""The inventory formats `--input-format` can force (no heavy imports: read at start-up)."""

from __future__ import annotations

from enum import StrEnum


class InputFormat(StrEnum):
    """Inventory formats `--input-format` can force."""

    AUTO = "auto"
    CSV = "csv"
    JSON = "json"
    JSONL = "jsonl"
    YAML = "yaml"
    OSQUERY = "osquery"
    OSQUERY_LOG = "osquery-log"
    FLEET = "fleet"
    INTUNE = "intune"
    JAMF = "jamf"
    CONFIGMGR = "configmgr"
    DPKG = "dpkg"
    RPM = "rpm"
    FLATPAK = "flatpak"
    SNAP = "snap"
