"""The one error type for mistakes a user can make (a missing file, an unknown class, a bad flag).

Every layer raises it; the command line turns it into one line on stderr and exit status 2, and the
app shows it in a banner. It lives on its own so that no layer has to import the command line.
"""
from __future__ import annotations


class UserError(Exception):
    """A problem with what the user asked for; printed as one line."""
