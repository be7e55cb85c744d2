"""Every kind of bad checkpoint and argument ends in exit 0 or one clear line, quickly, under a memory cap."""
import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt

from crafted import argument_cases, build_all

TESTS = Path(__file__).parent
ROOT = TESTS.parent
# Address space for the child: room for torch and a tiny model, far from what a blow-up would take.
MEMORY_CAP = 3 * 2**30
SLOW_SECONDS = 8.0


def _capped():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_capped(cases: list, timeout: int = 600, **extra_env: str) -> list[dict]:
    env = {"PYTHONPATH": f"{ROOT}:{TESTS}", "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1",
           "PIXELCNN_STUDIO_SETTINGS": "test", "HOME": str(Path.home()), **extra_env}
    result = subprocess.run([sys.executable, str(TESTS / "crafted_runner.py"), json.dumps(cases)],
                            capture_output=True, text=True, timeout=timeout, preexec_fn=_capped, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crafted")
    return folder, build_all(folder)


@pytest.fixture(scope="module")
def outcomes(crafted):
    folder, cases = crafted
    portrait = folder / "portrait.png"
    Image.new("RGB", (20, 20), "gray").save(portrait)
    commands = []
    for kind, (path, _) in cases.items():
        commands.append([f"info|{kind}", ["info", str(path)]])
        commands.append([f"json|{kind}", ["info", "--json", str(path)]])
        # Portrait models are sampled with a picture, so that a 2 there is the file's fault.
        condition = ["--portrait", str(portrait)] if "auto" in kind else []
        commands.append([f"sample|{kind}", ["sample", str(path), "--n", "1", *condition,
                                            "--out", str(folder / "out.npy")]])
    return {r["label"]: r for r in run_capped(commands)}


def problems_of(result: dict, expected_status: int) -> list[str]:
    found = []
    if result["crash"]:
        found.append(f"crashed: {result['crash'].strip().splitlines()[-1]}")
    elif result["status"] != expected_status:
        found.append(f"exit {result['status']}, expected {expected_status}: {result['stderr'].strip()[:200]}")
    elif expected_status == 2:
        lines = result["stderr"].splitlines()
        if len(lines) != 1 or "Traceback" in result["stderr"] or not lines[0].startswith("pixelcnn-studio: error: "):
            found.append(f"stderr is not one error line: {result['stderr'][:300]!r}")
    if result["seconds"] > SLOW_SECONDS:
        found.append(f"took {result['seconds']:.1f} s")
    return found


def test_info_and_sample_end_in_one_line_or_success(crafted, outcomes):
    _, cases = crafted
    failures = []
    for kind, (_, status) in cases.items():
        for command in ("info", "json", "sample"):
            for problem in problems_of(outcomes[f"{command}|{kind}"], status):
                failures.append(f"{command} {kind}: {problem}")
    assert not failures, "\n".join(failures)
    assert len(cases) >= 60


def test_json_is_always_valid(crafted, outcomes):
    _, cases = crafted
    for kind, (_, status) in cases.items():
        if status == 0:
            text = outcomes[f"json|{kind}"]["stdout"]
            json.loads(text, parse_constant=lambda c: pytest.fail(f"{kind}: bare {c} in JSON"))
    info = json.loads(outcomes["json|metric NaN"]["stdout"])
    assert info["metrics"]["test_bpd"] is None


def test_names_from_the_file_are_shown_escaped_and_short(outcomes):
    text = outcomes["info|class names with newline and escape"]["stdout"]
    assert "\x1b" not in text and "cat\\nline2" in text and "\\x1b[31mred" in text
    classes = next(line for line in text.splitlines() if line.startswith("classes"))
    assert len(classes) < 120 and "…" in classes


def test_reasons_name_the_problem(outcomes):
    expected = {
        "config hidden 10^9": "hidden must lie in 1..4,096",
        "config hidden 8.5": "hidden must be an integer",
        "config huge but within caps": "the model this config describes needs",
        "weights with one NaN": "head.out.bias holds NaN",
        "weights with Inf": "layers.0.vertical.weight holds Inf",
        "state sparse tensor": "sparse",
        "state value text": "is a str, not a tensor",
        "named pipe (FIFO)": "named pipe",
        "deflate bomb (tensor data)": "once unpacked",
        "tensor data beyond the config": "far more than a model of this config needs",
        "class names ints": "class names must be a list of text",
        "autoencoder config width 10^9": "width must be an integer",
        "embedder a string": "embedder entry is a str",
    }
    for kind, words in expected.items():
        assert words in outcomes[f"info|{kind}"]["stderr"], (kind, outcomes[f"info|{kind}"]["stderr"])


def test_real_processes_for_the_worst_files(crafted):
    """The same through `python -m pixelcnn_studio` itself: exit status, one line, no hang."""
    _, cases = crafted
    for kind in ("named pipe (FIFO)", "deflate bomb (tensor data)"):
        path = cases[kind][0]
        result = subprocess.run([sys.executable, "-m", "pixelcnn_studio", "info", str(path)], capture_output=True,
                                text=True, timeout=120, preexec_fn=_capped, cwd=ROOT)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, (kind, result.stderr)
        assert "Traceback" not in result.stderr


def test_arguments_are_checked_before_any_work(crafted, tmp_path):
    _, cases = crafted
    argument = argument_cases(cases["valid class model"][0], cases["valid auto-encoder"][0], tmp_path)
    results = run_capped([[kind, argv] for kind, (argv, _) in argument.items()])
    for result in results:
        words = argument[result["label"]][1]
        assert not problems_of(result, 2), (result["label"], problems_of(result, 2))
        assert words in result["stderr"], (result["label"], result["stderr"])
    assert not list(tmp_path.glob("x.*")), "nothing is written when the arguments are refused"


def test_the_app_keeps_its_model_for_every_bad_file(crafted, open_window, qtbot):
    """Each bad file, opened in the app, fails on the loader thread with the banner; nothing is replaced."""
    _, cases = crafted
    window = open_window(str(cases["valid class model"][0]))
    current, title = window.loaded, window.windowTitle()
    assert current is not None
    for kind, (path, status) in cases.items():
        if status == 0:
            continue
        window.banner.hide()
        with qtbot.waitSignal(window.load_failed, timeout=20000):
            window.open_checkpoint(str(path))
        assert window.loaded is current, kind
        assert window.banner.isVisible() and "stays loaded" in window.banner.text.text(), kind
        assert "\n" not in window.banner.text.text(), kind
        assert window.windowTitle() == title, kind
    # The reason reads as written (ranges such as "1..4,096" intact).
    assert "hidden must lie in 1..4,096" in window_banner_after(window, qtbot, cases["config hidden 10^9"][0])


def test_recent_entries_that_no_longer_load_are_marked(crafted, open_window, qtbot, tmp_path):
    from pixelcnn_studio.gui.common import settings
    _, cases = crafted
    window = open_window(str(cases["valid class model"][0]))
    gone = tmp_path / "gone.pt"
    gone.write_bytes(cases["valid class model"][0].read_bytes())
    broken = [str(cases[kind][0]) for kind in ("class names ints", "deflate bomb (pickle)", "config hidden 8.5")]
    for path in [str(gone), *broken]:
        settings.add_recent(path)
    gone.unlink()
    window.refresh_model_list()
    items = {window.models.list.item(i).data(Qt.ItemDataRole.UserRole): window.models.list.item(i)
             for i in range(window.models.list.count())}

    def text_of(path):
        return next(item.text() for key, item in items.items() if key == path)
    qtbot.waitUntil(lambda: all("⚠ cannot be opened" in text_of(p) for p in [str(gone), *broken]), timeout=20000)
    assert "no such file" in text_of(str(gone)).lower()
    assert "class names must be a list of text" in text_of(broken[0])
    # NaN weights show only once the weights are read: opening the file marks it, for good.
    nan = str(cases["weights with one NaN"][0])
    settings.add_recent(nan)
    window.refresh_model_list()
    with qtbot.waitSignal(window.load_failed, timeout=20000):
        window.open_checkpoint(nan)
    window.refresh_model_list()
    entry = next(window.models.list.item(i) for i in range(window.models.list.count())
                 if window.models.list.item(i).data(Qt.ItemDataRole.UserRole) == nan)
    assert "⚠ cannot be opened" in entry.text() and "holds NaN" in entry.text()
    assert window.loaded is not None


def window_banner_after(window, qtbot, path) -> str:
    with qtbot.waitSignal(window.load_failed, timeout=20000):
        window.open_checkpoint(str(path))
    return window.banner.text.text()


def test_names_reach_the_terminal_escaped_and_pictures_past_the_limit_are_refused(crafted, tmp_path):
    from crafted_names import models_folder, name_cases, raw_controls
    _, cases = crafted
    model = cases["class names with newline and escape"][0]
    named = name_cases(model, tmp_path)
    results = run_capped([[kind, argv] for kind, (argv, _, _) in named.items()])
    models = models_folder(tmp_path / "models", model)
    results += run_capped([["models", ["models"]], ["models --json", ["models", "--json"]]],
                          PIXELCNN_STUDIO_MODELS=str(models))
    named.update({"models": (["models"], 0, "\\x1b[31mred"), "models --json": (["models", "--json"], 0, "gone")})
    for result in results:
        kind = result["label"]
        _, status, words = named[kind]
        assert not problems_of(result, status), (kind, problems_of(result, status))
        assert words in result["stdout"] + result["stderr"], (kind, result["stdout"][-300:], result["stderr"])
        assert not raw_controls(result["stdout"] + result["stderr"]), (kind, raw_controls(result["stdout"]))
        if status == 0:
            assert result["stderr"] == "", (kind, result["stderr"])   # no library warnings either
    listing = next(r for r in results if r["label"] == "models")["stdout"]
    assert "gone" in listing and "a link to nothing" in listing
    assert "cat\\nline2" in next(r for r in results if r["label"].startswith("eval"))["stdout"]
