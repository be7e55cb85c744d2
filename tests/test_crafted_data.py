"""Bad training data ends `train` in one line and exit 2 before any training, under a memory cap."""
import os

import numpy as np
import pytest

from crafted_data import build_data_cases, data_arguments
from test_crafted_inputs import problems_of, run_capped


@pytest.fixture(scope="module")
def data_cases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crafted-data")
    return folder, build_data_cases(folder)


@pytest.fixture(scope="module")
def data_outcomes(data_cases):
    folder, cases = data_cases
    commands = [[kind, data_arguments(spec, folder / "runs" / str(i))]
                for i, (kind, (spec, _, _)) in enumerate(cases.items())]
    return {r["label"]: r for r in run_capped(commands, PIXELCNN_STUDIO_DATA=str(folder / "root"))}


def test_train_refuses_bad_data_in_one_line(data_cases, data_outcomes):
    folder, cases = data_cases
    failures = []
    for i, (kind, (_, status, words)) in enumerate(cases.items()):
        result = data_outcomes[kind]
        found = problems_of(result, status)
        if status == 2 and not found and words not in result["stderr"]:
            found.append(f"reason lacks {words!r}: {result['stderr'].strip()}")
        if status == 2 and (folder / "runs" / str(i) / "last.pt").exists():
            found.append("trained anyway")
        failures += [f"{kind}: {problem}" for problem in found]
    assert not failures, "\n".join(failures)
    assert len(cases) >= 25


def test_a_dangling_link_is_counted_not_fatal(data_cases):
    from pixelcnn_studio.data import load_dataset
    _, cases = data_cases
    train = load_dataset(cases["folder with a dangling link"][0], "train")
    assert train.info["skipped"] == 1 and train.info["dangling_links"] == [os.path.join("a", "gone.png")]


def test_an_unreadable_class_folder_is_named(tmp_path, monkeypatch):
    """As root no permission bit stops a read, so the failing listing is staged at os.scandir."""
    from crafted_data import _image_folder
    from pixelcnn_studio.data import DatasetError, load_dataset
    folder = _image_folder(tmp_path / "pictures")
    real = os.scandir

    def scandir(path="."):
        if str(path).endswith(os.sep + "b"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)
    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(DatasetError, match="cannot read the folder .*/b: Permission denied"):
        load_dataset(f"folder:{folder}", root=tmp_path / "root")


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_the_plain_reader_reads_what_numpy_and_pickle_write(protocol):
    import pickle

    from pixelcnn_studio.data.plain_pickle import read_plain
    value = {b"data": np.arange(12, dtype=np.uint8).reshape(3, 4), "labels": [0, 1, 2**40, -5],
             "names": ["é", b"x"], "f": 0.5, "none": None, "flag": True, "t": (1, 2)}
    found = read_plain(pickle.dumps(value, protocol=protocol), "batch")
    assert np.array_equal(found[b"data"], value[b"data"]) and found["labels"] == value["labels"]
    assert found["names"][1] in (b"x", "x") and found["f"] == 0.5 and found["t"] == (1, 2)
