"""Temporary passwords an administrator hands over once; the user must replace them at sign-in."""

from __future__ import annotations

import secrets

_WORDS = (
    "amber",
    "anchor",
    "birch",
    "cobalt",
    "copper",
    "delta",
    "ember",
    "fern",
    "harbour",
    "heron",
    "indigo",
    "juniper",
    "kestrel",
    "lantern",
    "maple",
    "meadow",
    "nimbus",
    "orchid",
    "pebble",
    "quartz",
    "raven",
    "saffron",
    "signal",
    "tundra",
    "umber",
    "velvet",
    "willow",
    "yonder",
    "zephyr",
    "beacon",
    "cinder",
    "drift",
)


def generate() -> str:
    """Five random words and three digits (about 35 bits): easy to read out over the phone, and
    enough for a password that works once and sits behind the lockout."""
    return "-".join(secrets.choice(_WORDS) for _ in range(5)) + f"-{secrets.randbelow(1000):03d}"
