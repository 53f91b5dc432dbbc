"""The course's files, laid out where the course's relative paths look for them.

The course downloads the Object Detection API's repository and a checkpoint, and then
reads ``models/research/object_detection/configs/tf2/ssd_resnet50_v1_fpn_640x640_coco17_tpu-8.config``
and restores ``models/research/object_detection/test_data/checkpoint/ckpt-0`` relative to
its working directory. The restore is TensorFlow's own (``tf.train.Checkpoint.restore``),
so the files must really be there: `lay_out(directory)` copies (or links) this package's
config, checkpoint and label map into ``directory/models/research/object_detection/``, and
with ``data=True`` also writes the course's ``training/training-zombie{1..5}.jpg`` and the
test frames ``results/zombie-walk0000.jpg`` .. ``0236.jpg``; with ``ducks=True`` the C3W2-L4
lab's ``test_images/ducky/train/robertducky{1..5}.jpg`` and ``test_images/ducky/test/out{1..49}.jpg``
under ``models/research/object_detection/``.

    python -m object_detection.course_files [DIRECTORY] [--data] [--ducks] [--link]

A learner runs it once in the folder of the notebook; the grader's worker calls
``lay_out`` on its working directory before running a submission.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
COURSE_ROOT = Path("models") / "research" / "object_detection"
CONFIG_NAME = "ssd_resnet50_v1_fpn_640x640_coco17_tpu-8.config"
CONFIG_PATH = COURSE_ROOT / "configs" / "tf2" / CONFIG_NAME
CHECKPOINT_PATH = COURSE_ROOT / "test_data" / "checkpoint" / "ckpt-0"
LABEL_MAP_PATH = COURSE_ROOT / "data" / "pasted_photographs_label_map.pbtxt"
DUCKY_PATH = COURSE_ROOT / "test_images" / "ducky"  # the C3W2-L4 lab's train/ and test/ images
# course path -> file of this package
FILES = {
    CONFIG_PATH: PACKAGE / "configs" / "tf2" / CONFIG_NAME,
    CHECKPOINT_PATH.with_name("ckpt-0.index"): PACKAGE / "test_data" / "checkpoint" / "ckpt-0.index",
    CHECKPOINT_PATH.with_name("ckpt-0.data-00000-of-00001"):
        PACKAGE / "test_data" / "checkpoint" / "ckpt-0.data-00000-of-00001",
    CHECKPOINT_PATH.with_name("checkpoint"): PACKAGE / "test_data" / "checkpoint" / "checkpoint",
    LABEL_MAP_PATH: PACKAGE / "data" / "pasted_photographs_label_map.pbtxt",
}


def lay_out(directory: os.PathLike | str = ".", data: bool = False, link: bool = False,
            ducks: bool = False) -> dict[str, Path]:
    """Put the course's files under `directory`; return {course path: written path}.

    Existing files are replaced, so a stale copy never shadows the package's checkpoint.
    link=True makes symbolic links instead of copies (the files stay read-only in the package)."""
    directory = Path(directory)
    written: dict[str, Path] = {}
    for course_path, source in FILES.items():
        if not source.is_file():
            raise FileNotFoundError(f"{source} is missing from the package: "
                                    "`python -m object_detection.pretrain` rebuilds the checkpoint")
        target = directory / course_path
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        if link:
            target.symlink_to(source)
        else:
            shutil.copyfile(source, target)
        written[course_path.as_posix()] = target
    if data:
        from graders.data import detection

        for path in detection.write_training(directory / "training"):
            written[f"training/{path.name}"] = path
        for path in detection.write_test_frames(directory / "results"):
            written[f"results/{path.name}"] = path
    if ducks:
        from graders.data import ducks as duck_data

        for part, paths in (("train", duck_data.write_training(directory / DUCKY_PATH / "train")),
                            ("test", duck_data.write_test_frames(directory / DUCKY_PATH / "test"))):
            for path in paths:
                written[(DUCKY_PATH / part / path.name).as_posix()] = path
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m object_detection.course_files",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("directory", nargs="?", default=".")
    parser.add_argument("--data", action="store_true", help="also write training/ and results/ (the zombie images)")
    parser.add_argument("--ducks", action="store_true",
                        help="also write the C3W2-L4 lab's rubber duck images under test_images/ducky/")
    parser.add_argument("--link", action="store_true", help="link the package's files instead of copying them")
    args = parser.parse_args(argv)
    written = lay_out(args.directory, data=args.data, link=args.link, ducks=args.ducks)
    for name in list(written)[:len(FILES)]:
        print(written[name])
    if args.data or args.ducks:
        folders = ["training/ and results/"] * args.data + [f"{DUCKY_PATH.as_posix()}/"] * args.ducks
        print(f"... and {len(written) - len(FILES)} images in {' and '.join(folders)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
