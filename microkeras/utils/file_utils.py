"""``get_file``: download once into the Keras cache, check the hash, extract archives safely.

The cache is Keras's: ``$KERAS_HOME`` if set, else ``~/.keras`` (``/tmp/.keras``
when the home folder is not writable), with files in ``<cache>/<cache_subdir>``.
File names and extraction folders follow Keras 3 (``keras/src/utils/file_utils.py``),
so a file Keras downloaded is found here and the other way round.

What differs, on purpose:

* A download goes to a temporary file beside its target and is moved into
  place only once complete and hash-checked: an interrupted or corrupt
  download never sits in the cache under the real name.
* An archive is extracted into a temporary folder, then renamed: the
  extraction folder is complete or absent. Members that would land outside
  it (absolute paths, ``..``, links pointing out, device files) make the
  extraction fail with a ``ValueError`` naming the member; Keras skips them
  with a warning.
* An archive already extracted is not extracted again on every call.
* When the download fails (offline, say), the ``OSError`` names the file,
  the folder to put it in and the hash it must have, so it can be fetched
  on another machine and copied over.
"""

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile

from microkeras.utils.argument_checks import one_of
from microkeras.utils.progbar import Progbar

_HASH_ALGORITHMS = ("auto", "sha256", "md5")
_ARCHIVE_FORMATS = ("tar", "zip")
_CHUNK = 1 << 16


def keras_home():
    """The Keras cache folder: ``$KERAS_HOME``, else ``~/.keras`` (``/tmp/.keras`` if home is read-only).

    Read at each call, so setting ``KERAS_HOME`` later in a session takes effect.
    """
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    base = os.path.expanduser("~")
    if not os.access(base, os.W_OK):
        base = "/tmp"
    return os.path.join(base, ".keras")


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """Download ``origin`` into the cache unless a file with the right hash is already there.

    Parameters
    ----------
    fname : str, optional
        Name of the file in the cache; the last part of ``origin``'s path if None.
        With ``extract``, a name without a dot names the extraction folder
        (the archive is kept as ``<fname>_archive``); a name with a dot is the
        archive's name and the folder is ``<name up to the first dot>_extracted``.
    origin : str
        URL of the file (``file://`` URLs work too).
    untar : bool
        Deprecated in Keras: same as ``extract=True, archive_format='tar'``.
    md5_hash : str, optional
        Deprecated in Keras: an MD5 ``file_hash``.
    file_hash : str, optional
        Expected hex digest of the downloaded file; checked after each download
        and on a cached file (a cached file that does not match is downloaded again).
    cache_subdir : str
        Folder under the cache; an absolute path is used as is.
    hash_algorithm : {'auto', 'sha256', 'md5'}
        ``'auto'`` means SHA-256 for a 64-character hash, MD5 otherwise.
    extract : bool
        Extract the archive (tar, tar.gz, tar.bz2, zip) and return the folder.
    archive_format : {'auto', 'tar', 'zip'}, list of them, or None
        Formats to try; ``'auto'`` is ``['tar', 'zip']``.
    cache_dir : str, optional
        The cache root; :func:`keras_home` if None.
    force_download : bool
        Download even if the file is cached.

    Returns
    -------
    str
        Path of the file, or of the extraction folder with ``extract``/``untar``.
    """
    if not isinstance(origin, str) or not origin:
        raise ValueError(f"get_file: `origin` must be the URL of the file to download; received origin={origin!r}.")
    if hash_algorithm not in _HASH_ALGORITHMS:
        raise ValueError(f"get_file: `hash_algorithm` must be {one_of(_HASH_ALGORITHMS)}; "
                         f"received hash_algorithm={hash_algorithm!r}.")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    if untar:
        extract, archive_format = True, "tar"
    formats = _archive_formats(archive_format) if extract else []
    named = fname is not None and os.fspath(fname) != ""
    fname = _file_name(fname) if named else _name_from_origin(origin)
    datadir = _cache_folder(cache_dir, cache_subdir)

    extraction_dir = None
    download_target = os.path.join(datadir, fname)
    if extract:
        if named and "." in fname:
            extraction_dir = os.path.join(datadir, fname[:fname.find(".")] + "_extracted")
        else:
            extraction_dir = download_target
            download_target = download_target + "_archive"

    downloaded = False
    if force_download or not _is_good(download_target, file_hash, hash_algorithm):
        if os.path.exists(download_target) and not force_download:
            print(f"A local file was found at {download_target}, but its "
                  f"{_resolve_algorithm(hash_algorithm, file_hash)} hash does not match "
                  f"{file_hash}; downloading it again.")
        _download(origin, download_target, file_hash, hash_algorithm)
        downloaded = True

    if extraction_dir is None:
        return download_target
    if downloaded or not os.path.isdir(extraction_dir):
        extract_archive(download_target, extraction_dir, formats)
    return extraction_dir


def _file_name(fname):
    fname = os.fspath(fname)
    if os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError(f"get_file: `fname` must be a file name, not a path; received fname={fname!r}. "
                         "Pass the folder as `cache_dir` (or `cache_subdir`).")
    return fname


def _name_from_origin(origin):
    name = os.path.basename(urllib.parse.urlsplit(origin).path)
    if not name:
        raise ValueError(f"get_file: cannot take a file name from origin={origin!r}; pass `fname`.")
    return name


def _cache_folder(cache_dir, cache_subdir):
    """``<cache_dir>/<cache_subdir>``, created; under the temporary folder if that cannot be written (as Keras)."""
    base = os.path.expanduser(os.fspath(cache_dir) if cache_dir is not None else keras_home())
    datadir = os.path.join(base, cache_subdir)
    try:
        os.makedirs(datadir, exist_ok=True)
        if os.access(datadir, os.W_OK):
            return datadir
    except OSError:
        pass
    datadir = os.path.join(tempfile.gettempdir(), ".keras", cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    return datadir


def _archive_formats(archive_format):
    if archive_format is None:
        return []
    if archive_format == "auto":
        return list(_ARCHIVE_FORMATS)
    formats = [archive_format] if isinstance(archive_format, str) else list(archive_format)
    for name in formats:
        if name not in _ARCHIVE_FORMATS:
            raise ValueError(f"get_file: `archive_format` must be 'auto', {one_of(_ARCHIVE_FORMATS)}, a list of "
                             f"them or None; received archive_format={archive_format!r}.")
    return formats


def _is_good(path, file_hash, algorithm):
    return os.path.isfile(path) and (file_hash is None or validate_file(path, file_hash, algorithm))


def _download(origin, target, file_hash, algorithm):
    """Fetch ``origin`` into a temporary file beside ``target``; move it into place once checked."""
    print(f"Downloading data from {origin}")
    folder, name = os.path.split(target)
    handle, partial = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            try:
                with urllib.request.urlopen(origin) as response:
                    _copy_with_progress(response, out)
            except (urllib.error.URLError, OSError, ValueError) as error:
                reason = getattr(error, "reason", error)
                expected = f" with {_resolve_algorithm(algorithm, file_hash)} hash {file_hash}" if file_hash else ""
                raise OSError(f"Could not download {origin} ({reason}). If this machine is offline, download "
                              f"that URL elsewhere and place the file at {os.path.abspath(target)}{expected}; it will be used "
                              "from there.") from error
        if file_hash is not None and not validate_file(partial, file_hash, algorithm):
            raise ValueError(f"The file downloaded from {origin} is incomplete or corrupted: its "
                             f"{_resolve_algorithm(algorithm, file_hash)} hash is {hash_file(partial, algorithm)}, "
                             f"expected {file_hash}. Nothing was written to {target}.")
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _copy_with_progress(response, out):
    length = response.headers.get("Content-Length") if getattr(response, "headers", None) else None
    total = int(length) if length and length.isdigit() else None
    bar = Progbar(total)
    copied = 0
    for chunk in iter(lambda: response.read(_CHUNK), b""):
        out.write(chunk)
        copied += len(chunk)
        bar.update(min(copied, total) if total else copied, finalize=False)
    bar.update(copied, finalize=True)


def _resolve_algorithm(algorithm, file_hash):
    if algorithm == "auto":
        return "sha256" if file_hash is not None and len(file_hash) == 64 else "md5"
    return algorithm


def hash_file(fpath, algorithm="sha256", chunk_size=_CHUNK):
    """Hex digest of the file at ``fpath`` (``algorithm``: 'sha256', 'md5', or 'auto' meaning sha256)."""
    hasher = hashlib.md5() if algorithm == "md5" else hashlib.sha256()
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=_CHUNK):
    """Whether the file at ``fpath`` has the hex digest ``file_hash`` ('auto': SHA-256 if 64 characters long)."""
    return hash_file(fpath, _resolve_algorithm(algorithm, file_hash), chunk_size) == str(file_hash).lower()


def extract_archive(file_path, path, archive_format="auto"):
    """Extract a tar or zip archive into the folder ``path``, all or nothing.

    Returns True when one of the formats matched. Raises ``ValueError`` naming
    the first member that would be written outside ``path`` or is not a plain
    file, folder or link inside it; nothing is extracted then.
    """
    formats = _archive_formats(archive_format)
    for name in formats:
        if name == "tar" and tarfile.is_tarfile(file_path):
            with tarfile.open(file_path) as archive:
                _extract_atomically(archive, path, _check_tar_members)
            return True
        if name == "zip" and zipfile.is_zipfile(file_path):
            with zipfile.ZipFile(file_path) as archive:
                _extract_atomically(archive, path, _check_zip_members)
            return True
    raise ValueError(f"{file_path} is not a {' or '.join(formats) or 'known'} archive; it was not extracted.")


def _extract_atomically(archive, path, check):
    path = os.path.abspath(path)
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", suffix=".part", dir=parent)
    try:
        check(archive, staging)
        if isinstance(archive, tarfile.TarFile) and hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
            archive.extractall(staging, filter="data")
        elif isinstance(archive, tarfile.TarFile):
            archive.extractall(staging)
        else:
            archive.extractall(staging)
        if os.path.isdir(path):
            shutil.rmtree(path)
        os.replace(staging, path)
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging)


def _inside(base, relative):
    target = os.path.realpath(os.path.join(base, relative))
    return target == base or target.startswith(base + os.sep)


def _check_tar_members(archive, staging):
    base = os.path.realpath(staging)
    for member in archive.getmembers():
        ok = (member.isfile() or member.isdir() or member.issym() or member.islnk()) and _inside(base, member.name)
        if ok and member.issym():
            ok = _inside(base, os.path.join(os.path.dirname(member.name), member.linkname))
        elif ok and member.islnk():
            ok = _inside(base, member.linkname)
        if not ok:
            raise ValueError(f"Refusing to extract the archive: member {member.name!r} would be written outside "
                             "the extraction folder or is not a plain file, folder or link.")


def _check_zip_members(archive, staging):
    base = os.path.realpath(staging)
    for member in archive.infolist():
        if os.path.isabs(member.filename) or not _inside(base, member.filename):
            raise ValueError(f"Refusing to extract the archive: member {member.filename!r} would be written "
                             "outside the extraction folder.")
