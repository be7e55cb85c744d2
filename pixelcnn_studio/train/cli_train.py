"""`pixelcnn-studio train`: turn parsed flags into settings and run."""
from __future__ import annotations

import shlex
import sys

# Flags of the train sub-command that are settings (everything but the dispatch fields).
_NOT_SETTINGS = ("command", "func", "overwrite")


def run_train(args) -> int:
    from .loop import train
    from .run_folder import check_fresh_out
    from .settings import TrainSettings, resolve
    explicit = {k: v for k, v in vars(args).items() if k not in _NOT_SETTINGS}
    explicit["command"] = "pixelcnn-studio " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    if args.resume:
        if getattr(args, "overwrite", False):
            from ..errors import UserError
            raise UserError("--resume continues the run in --out and --overwrite replaces it: give one of them")
        # The stored settings are the base; resume_settings() applies the allowed overrides.
        settings = TrainSettings(out=args.out, resume=args.resume, command=explicit["command"])
        return _finish(train(settings, explicit))
    settings = resolve(explicit)
    check_fresh_out(settings.out, getattr(args, "overwrite", False))
    return _finish(train(settings))


def _finish(result: dict) -> int:
    return 130 if result.get("stopped") == "signal" else 0
