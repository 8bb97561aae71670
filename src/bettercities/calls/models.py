"""Tables of the calls domain (the calls' own tables follow; the contacts' are the accounts domain's)."""

from __future__ import annotations
