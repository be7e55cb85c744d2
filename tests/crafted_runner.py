"""Runs command lines in-process and reports how each ended, as JSON on stdout.

Started by the crafted-input tests in a child process whose address space is capped, so a
command that tried to allocate what it should have refused fails here instead of swapping.
Usage: python crafted_runner.py '[["label", ["info", "file.pt"]], ...]'
"""
import contextlib
import io
import json
import signal
import sys
import time
import traceback

SECONDS_PER_CASE = 20


class Hang(Exception):
    pass


def _alarm(*_):
    raise Hang()


def main() -> None:
    from pixelcnn_studio.cli import main as cli_main
    signal.signal(signal.SIGALRM, _alarm)
    results = []
    for label, argv in json.loads(sys.argv[1]):
        out, err = io.StringIO(), io.StringIO()
        started = time.perf_counter()
        status, crash = None, None
        try:
            signal.alarm(SECONDS_PER_CASE)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = cli_main(argv)
        except SystemExit as exit:          # argparse ends a process this way: its status is the finding
            status = exit.code if isinstance(exit.code, int) else 1
        except Hang:
            crash = "hang"
        except BaseException:  # noqa: BLE001 - what escaped the command is the finding
            crash = traceback.format_exc(limit=4)
        finally:
            signal.alarm(0)
        results.append({"label": label, "status": status, "crash": crash, "stdout": out.getvalue(),
                        "stderr": err.getvalue(), "seconds": time.perf_counter() - started})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
