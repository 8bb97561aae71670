"""The CLI app and the Berlin MSS input are shared with the social-index tests."""

from tests.index.conftest import cli_app, mss_2019_input  # noqa: F401
