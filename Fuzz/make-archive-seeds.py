#!/usr/bin/env python3
"""Writes small seed archives for the fuzz-archive target into DIR (scripts/fuzz calls it).

Each seed is a few KiB and exercises one thing SafeExtractor handles: the tar dialects
(ustar, GNU long names, pax with xattrs), every entry type it creates or skips, OCI
whiteouts, the hostile shapes it must refuse (.., absolute paths, writes through symlinks,
hard links leaving the tree), and the compressions and other formats libarchive detects.
Generated at run time so no binary seed is committed.
"""
import bz2
import gzip
import io
import lzma
import os
import sys
import tarfile
import zipfile


def entry(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, link="", pax=None, uid=0, gid=0):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.uid, info.gid = uid, gid
    info.mtime = 1700000000
    info.linkname = link
    info.size = len(data) if kind in (tarfile.REGTYPE, tarfile.AREGTYPE) else 0
    if pax:
        info.pax_headers = pax
    return info, data


def tar(entries, fmt=tarfile.USTAR_FORMAT):
    """The archive without tarfile's padding to a 10 KiB record: the two zero blocks that end
    it are enough for libarchive, and short seeds fuzz faster."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as archive:
        for info, data in entries:
            archive.addfile(info, io.BytesIO(data) if info.size else None)
        end = archive.offset + 2 * tarfile.BLOCKSIZE
    return out.getvalue()[:end]


def main(directory):
    os.makedirs(directory, exist_ok=True)
    rootfs = [
        entry("bin/", tarfile.DIRTYPE, mode=0o755),
        entry("bin/busybox", data=b"\x7fELF" + b"\0" * 60, mode=0o755),
        entry("bin/sh", tarfile.SYMTYPE, link="busybox"),
        entry("bin/ls", tarfile.LNKTYPE, link="bin/busybox"),
        entry("etc/", tarfile.DIRTYPE, mode=0o755),
        entry("etc/passwd", data=b"root:x:0:0:root:/root:/bin/sh\n"),
        entry("tmp/", tarfile.DIRTYPE, mode=0o1777),
        entry("usr/bin/su", data=b"su", mode=0o4755),
        entry("run/fifo", tarfile.FIFOTYPE),
        entry("dev/null", tarfile.CHRTYPE),
        entry("home/user/", tarfile.DIRTYPE, mode=0o700, uid=1000, gid=1000),
    ]
    seeds = {
        "rootfs-ustar.tar": tar(rootfs),
        "rootfs-gnu-longname.tar": tar(rootfs + [entry("a/" + "long-directory-name/" * 8 + "file", data=b"x")], tarfile.GNU_FORMAT),
        "xattrs-pax.tar": tar([
            entry("bin/ping", data=b"ping", mode=0o755,
                  pax={"SCHILY.xattr.security.capability": "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
                       "SCHILY.xattr.user.comment": "seed"}),
            entry("pax/" + "n" * 120, data=b"long pax path"),
        ], tarfile.PAX_FORMAT),
        "whiteouts-layer.tar": tar([
            entry("etc/", tarfile.DIRTYPE, mode=0o755),
            entry("etc/.wh.passwd"),
            entry("var/", tarfile.DIRTYPE, mode=0o755),
            entry("var/.wh..wh..opq"),
            entry("var/new", data=b"new"),
        ]),
        "hostile-dotdot.tar": tar([entry("../escape", data=b"x"), entry("a/../../escape", data=b"x")]),
        "hostile-absolute.tar": tar([entry("/etc/podlab-fuzz-escape", data=b"x")]),
        "hostile-symlink-write.tar": tar([entry("evil", tarfile.SYMTYPE, link="/tmp"), entry("evil/podlab-fuzz-escape", data=b"x")]),
        "hostile-hardlink.tar": tar([entry("link", tarfile.LNKTYPE, link="/etc/passwd"), entry("link2", tarfile.LNKTYPE, link="../outside")]),
        "replace-dir-with-file.tar": tar([entry("x/", tarfile.DIRTYPE), entry("x/y", data=b"y"), entry("x", data=b"file now")]),
    }
    plain = seeds["rootfs-ustar.tar"]
    seeds["rootfs.tar.gz"] = gzip.compress(plain, mtime=0)
    seeds["rootfs.tar.xz"] = lzma.compress(plain)
    seeds["rootfs.tar.bz2"] = bz2.compress(plain)
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("etc/hostname", "pod\n")
        archive.writestr("dir/", "")
    seeds["files.zip"] = zipped.getvalue()
    for name, data in seeds.items():
        with open(os.path.join(directory, name), "wb") as out:
            out.write(data)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make-archive-seeds.py DIR")
    main(sys.argv[1])
