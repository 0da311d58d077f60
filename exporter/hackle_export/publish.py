"""Operations on one ``dt=`` folder: the only place the exporter ever writes.

``_SUCCESS`` is the only completeness signal, so it is removed before anything
else changes in the folder and written after everything else is in place.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Collection

import pyarrow.fs as pafs

from hackle_export.errors import ConfigError

logger = logging.getLogger(__name__)

SUCCESS = "_SUCCESS"


def success_path(folder: str) -> str:
    return f"{folder}/{SUCCESS}"


def has_success(fs: pafs.FileSystem, folder: str) -> bool:
    """Whether the folder holds ``_SUCCESS``, i.e. one complete run."""
    return fs.get_file_info(success_path(folder)).type != pafs.FileType.NotFound


def check_folder(fs: pafs.FileSystem, folder: str) -> None:
    """Refuse a day folder that cannot be replaced without touching other paths.

    Runs before anything in the folder changes.
    """
    if isinstance(fs, pafs.LocalFileSystem):
        _refuse_links(folder)
    if fs.get_file_info(folder).type not in (
        pafs.FileType.NotFound,
        pafs.FileType.Directory,
    ):
        raise ConfigError(
            f"{folder} exists and is not a folder; move it out of the destination "
            "so that the day can be published there"
        )


def _refuse_links(folder: str) -> None:
    # Files are written and deleted through the paths below the folder: through a
    # link they would land in, or empty, a folder outside the day.
    if os.path.islink(folder):
        raise ConfigError(
            f"the day folder {folder} is a symbolic link; replace it with a real "
            "folder, the exporter changes nothing outside the dt= folders"
        )
    links = []
    for parent, folders, files in os.walk(folder):
        links.extend(
            os.path.join(parent, name)
            for name in (*folders, *files)
            if os.path.islink(os.path.join(parent, name))
        )
    if links:
        raise ConfigError(
            f"{min(links)} in the day folder is a symbolic link ({len(links)} in "
            "all); remove the links, the exporter replaces every entry of a dt= "
            "folder and changes nothing outside it"
        )


def withdraw_success(fs: pafs.FileSystem, folder: str) -> bool:
    """Remove the folder's ``_SUCCESS``; return whether there was one."""
    if not has_success(fs, folder):
        return False
    path = success_path(folder)
    fs.delete_file(path)
    logger.info("removed %s before changing the day", path)
    return True


def prepare_folder(fs: pafs.FileSystem, folder: str) -> None:
    """Make sure the day folder exists."""
    fs.create_dir(folder, recursive=True)


def remove_others(fs: pafs.FileSystem, folder: str, keep: Collection[str]) -> list[str]:
    """Delete every entry of ``folder`` that is not in ``keep``; return them."""
    removed = []
    for info in fs.get_file_info(pafs.FileSelector(folder, allow_not_found=True)):
        if info.path in keep:
            continue
        if info.type == pafs.FileType.Directory:
            fs.delete_dir(info.path)
        else:
            fs.delete_file(info.path)
        removed.append(info.path)
    if removed:
        logger.info("removed %d entries of earlier runs from %s", len(removed), folder)
    return removed


def remove_parts(fs: pafs.FileSystem, paths: Collection[str]) -> None:
    """Delete this run's own part files, e.g. when another run took the day over."""
    for path in paths:
        if fs.get_file_info(path).type != pafs.FileType.NotFound:
            fs.delete_file(path)
    if paths:
        logger.info("removed the %d part files of this run", len(paths))


def signal_success(fs: pafs.FileSystem, folder: str) -> str:
    """Write the 0-byte ``_SUCCESS`` marker."""
    path = success_path(folder)
    fs.open_output_stream(path).close()
    return path


# --- named steps ----------------------------------------------------------------

# The points of a publish at which a run can be stopped, in order. Nothing in the
# exporter watches them: they exist so that tests can stop a run at an exact point
# (by an exception, or by killing the process) and check that the next run heals
# the day. Observers are registered only by code that imports this module and
# calls observe(); no setting, option or environment variable does it.
STEPS = (
    "locked",
    "part_written",
    "before_verify",
    "after_verify",
    "before_success",
)

StepObserver = Callable[[str, str], None]

_observers: list[StepObserver] = []


def observe(observer: StepObserver) -> Callable[[], None]:
    """Call ``observer(step, detail)`` at every step; return a function to stop."""
    _observers.append(observer)
    return lambda: _observers.remove(observer)


def reached(step: str, detail: str = "") -> None:
    """Tell the observers, if any, that the run reached ``step``."""
    for observer in tuple(_observers):
        observer(step, detail)
