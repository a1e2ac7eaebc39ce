"""Stored records: shipped inside the package, found by name, and a user's own records by the same function."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from alexnet_edu import records
from alexnet_edu.runs import write_json_atomic

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    monkeypatch.delenv(records.RECORDS_ENV, raising=False)


def _chapter_code(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def test_every_record_a_chapter_loads_is_shipped_and_has_provenance():
    named = set()
    for chapter in CHAPTERS:
        named |= set(re.findall(r"records\.(?:load|arrays|find)\(\s*\"(\w+)\"", _chapter_code(chapter)))
    assert named, "the chapters load their records through alexnet_edu.records"
    missing_ok = {"train_speed_gpu"}  # chapter 33 shows it only where a GPU run was recorded
    for name in named - missing_ok:
        record = records.load(name)
        assert records.find(name).parent == records.SHIPPED
        assert "provenance" in record or "sessions" in record or "run_sessions" in record, name
        assert name in records.MAKERS, f"records.MAKERS has no command for {name}"


def test_no_chapter_builds_a_path_to_the_records():
    for chapter in CHAPTERS:
        code = _chapter_code(chapter)
        assert not re.search(r"Path\(\s*[\"']results", code), chapter.name
        assert "results/" not in chapter.read_text(), f"{chapter.name} names a results/ folder"


def test_arrays_beside_a_record_are_loaded_by_name():
    pictures = records.arrays("pictures_imagenette")
    assert pictures["conv1_epoch_0000"].shape == (96, 3, 11, 11)
    with pytest.raises(KeyError, match="no arrays beside it"):
        records.arrays("figure1")


def test_a_record_in_a_folder_of_ones_own_is_read_by_the_same_function(tmp_path, monkeypatch):
    mine = {"experiment": "figure1", "runs": [], "provenance": {"command": "mine"}}
    write_json_atomic(tmp_path / "figure1.json", mine)
    assert records.load("figure1", folder=tmp_path) == mine
    assert records.load("figure1")["provenance"]["command"] != "mine"  # the shipped one, without the variable
    monkeypatch.setenv(records.RECORDS_ENV, str(tmp_path))
    assert records.load("figure1.json") == mine  # the user's folder comes first
    assert records.load("ten_crop") == json.loads((records.SHIPPED / "ten_crop.json").read_text())  # then the shipped
    np.savez(tmp_path / "mine.npz", a=np.arange(3))
    write_json_atomic(tmp_path / "pictures_mine.json", {"arrays_file": "mine.npz"})
    assert records.arrays("pictures_mine")["a"].tolist() == [0, 1, 2]


def test_a_missing_record_names_every_folder_searched_and_the_command_that_makes_it(tmp_path, monkeypatch):
    monkeypatch.setenv(records.RECORDS_ENV, str(tmp_path))
    with pytest.raises(records.RecordNotFoundError) as err:
        records.load("train_speed_gpu")
    message = str(err.value)
    assert str(tmp_path) in message and str(records.SHIPPED) in message
    assert f"python benchmarks/train_speed.py --out {tmp_path / 'train_speed_gpu.json'}" in message
    with pytest.raises(records.RecordNotFoundError, match="Records here: .*figure1"):
        records.load("no_such_record")


def test_a_half_written_record_says_to_make_it_again(tmp_path):
    (tmp_path / "ten_crop.json").write_text('{"experiment": "tencrop", "runs": [')
    with pytest.raises(ValueError, match="(?s)not a complete JSON record.*python -m alexnet_edu tencrop"):
        records.load("ten_crop", folder=tmp_path)


@pytest.mark.parametrize("bad", ["", "../figure1", "records/figure1.json", 3])
def test_records_are_named_not_given_as_paths(bad):
    with pytest.raises(ValueError, match="folder="):
        records.load(bad)


def test_the_commands_write_where_they_are_told():
    assert records.command("figure1") == "python -m alexnet_edu figure1 --out alexnet_edu/records/figure1.json"
    assert records.command("ten_crop", out="x/t.json").startswith("python -m alexnet_edu tencrop --out x/t.json ")
    with pytest.raises(KeyError, match="no command is known"):
        records.command("nothing")


def test_describe_says_where_a_record_came_from_and_whether_it_is_its_commands():
    record = records.load("ablation_lrn")
    settings = dict(record["settings"])
    text = records.describe(record, settings)
    assert "python -m alexnet_edu ablation lrn" in text
    assert record["provenance"]["git_commit"][:12] in text
    assert "(uncommitted changes)" in text  # this record was made from a dirty tree
    assert f"{record['data']['train_images']:,} training images" in text
    assert text.splitlines()[-1].strip() == "those of its command in records.MAKERS"
    other = records.describe(record, {**settings, "seeds": [0]})
    assert other.splitlines()[-1].strip().startswith("NOT those")
    unfinished = records.describe({**record, "complete": False})
    assert "complete:    False" in unfinished and "settings:" not in unfinished
    with pytest.raises(KeyError, match="no 'provenance'"):
        records.describe({"runs": []})
    sweep = records.load("figure1_seed1")            # Figure 1 trains only: no test images
    assert "50,000 training images\n" in records.describe(sweep, dict(sweep["settings"])) + "\n"
