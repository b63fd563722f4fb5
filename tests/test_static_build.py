"""The static files' build (piglist/web/assets.build_static_files) when several starts share a checkout.

CI saw ``make run`` die while a gunicorn started by another test was building the same folder: one
build's clean removed the ``.br`` the other was copying. Builds now take a lock, and a build that is
current is left alone so a serving site keeps its files.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

from piglist.web.assets import _build_lock, build_static_files

ROOT = Path(__file__).resolve().parents[1]


def a_static_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "static"
    (folder / "css").mkdir(parents=True)
    (folder / "js").mkdir()
    (folder / "css" / "app.css").write_text("body { color: #222; }\n" * 200)
    (folder / "js" / "live.js").write_text("export const live = 1;\n" * 200)
    (folder / "icon.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(500))
    return folder


def built_files(folder: Path) -> dict[str, tuple[int, int]]:
    """Each file with what a rewrite would change (a new file may reuse a freed inode number)."""
    return {
        path.relative_to(folder).as_posix(): (path.stat().st_ino, path.stat().st_ctime_ns)
        for path in folder.rglob("*")
        if path.is_file()
    }


def test_a_current_build_is_left_alone_and_a_changed_file_is_built_again(tmp_path):
    folder = a_static_folder(tmp_path)
    build_static_files(folder)
    manifest = json.loads((folder / "cache_manifest.json").read_text())
    assert set(manifest) == {"css/app.css", "js/live.js", "icon.png"}
    first = built_files(folder)
    assert f"{manifest['css/app.css']}.br" in first and "icon.png.br" not in first

    build_static_files(folder)
    assert built_files(folder) == first  # the same files, not new ones of the same name

    (folder / "css" / "app.css").write_text("body { color: #111; }\n")
    build_static_files(folder)
    again = json.loads((folder / "cache_manifest.json").read_text())
    assert again["css/app.css"] != manifest["css/app.css"]
    assert (folder / again["css/app.css"]).read_text() == "body { color: #111; }\n"
    assert not (folder / manifest["css/app.css"]).exists()


def test_a_missing_copy_or_a_new_file_is_built_again(tmp_path):
    folder = a_static_folder(tmp_path)
    build_static_files(folder)
    manifest = json.loads((folder / "cache_manifest.json").read_text())
    (folder / manifest["js/live.js"]).unlink()
    build_static_files(folder)
    assert (folder / manifest["js/live.js"]).is_file()
    (folder / "js" / "new.js").write_text("export {};\n")
    build_static_files(folder)
    assert "js/new.js" in json.loads((folder / "cache_manifest.json").read_text())


def test_a_build_waits_for_the_one_under_way(tmp_path):
    folder = a_static_folder(tmp_path)
    script = f"from pathlib import Path; from piglist.web.assets import build_static_files; build_static_files(Path({str(folder)!r}))"
    with _build_lock(folder):
        start = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stderr=subprocess.PIPE)
        with contextlib.suppress(subprocess.TimeoutExpired):
            start.wait(timeout=5)
        assert start.poll() is None, "a build went ahead while another held the folder"
        assert not (folder / "cache_manifest.json").exists()
    _, errors = start.communicate(timeout=120)
    assert start.returncode == 0, errors.decode()
    assert (folder / "cache_manifest.json").is_file()


def test_builds_started_together_all_finish_with_one_whole_build(tmp_path):
    folder = a_static_folder(tmp_path)
    shutil.copytree(
        ROOT / "static" / "vendor", folder / "vendor", ignore=shutil.ignore_patterns("*.br", "*.gz")
    )
    script = f"from pathlib import Path; from piglist.web.assets import build_static_files; build_static_files(Path({str(folder)!r}))"
    starts = [
        subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stderr=subprocess.PIPE) for _ in range(4)
    ]
    for start in starts:
        _, errors = start.communicate(timeout=300)
        assert start.returncode == 0, errors.decode()
    manifest = json.loads((folder / "cache_manifest.json").read_text())
    for plain, digested in manifest.items():
        assert (folder / digested).read_bytes() == (folder / plain).read_bytes()
        if not plain.endswith(".png"):
            assert (folder / f"{digested}.br").is_file() and (folder / f"{digested}.gz").is_file()
