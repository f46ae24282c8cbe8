"""Word → PDF with LibreOffice headless (``tic letters --pdf``, an optional extra).

LibreOffice converts many files per call far faster than one per call (each call
starts an instance: 1-3 s), and two instances run in parallel only when each has
its own user profile (two sharing one: the second silently writes nothing). So
the files are split over ``workers`` threads, each running ``soffice`` in
batches of up to 100 with its own ``-env:UserInstallation`` profile in a
temporary folder. One instance silently stops after about 250 documents (seen
with LibreOffice 7.4): files a call did not convert are converted again once.

The letters name the bureau's fonts (仿宋_GB2312, 方正小标宋简体, 楷体_GB2312, 黑体),
which Linux machines lack. A fontconfig file written for the child process maps
them to Noto Serif CJK SC (黑体 to Noto Sans CJK SC) so that Chinese renders in a
serif face, never as boxes; it includes the system configuration first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.sax.saxutils import escape

from toolkit.adapters.atomic import write_bytes
from toolkit.errors import OutputError, os_reason

SERIF = "Noto Serif CJK SC"
SANS = "Noto Sans CJK SC"
# family asked for by the letters -> (family used, bold?)
FONT_MAP: dict[str, tuple[str, bool]] = {
    "仿宋_GB2312": (SERIF, False),
    "仿宋": (SERIF, False),
    "FangSong": (SERIF, False),
    "FangSong_GB2312": (SERIF, False),
    "方正小标宋简体": (SERIF, True),
    "方正小标宋_GBK": (SERIF, True),
    "FZXiaoBiaoSong-B05S": (SERIF, True),
    "小标宋": (SERIF, True),
    "楷体_GB2312": (SERIF, False),
    "楷体": (SERIF, False),
    "KaiTi": (SERIF, False),
    "KaiTi_GB2312": (SERIF, False),
    "宋体": (SERIF, False),
    "SimSun": (SERIF, False),
    "黑体": (SANS, False),
    "SimHei": (SANS, False),
}
MISSING = (
    "未找到 LibreOffice（soffice 命令），无法生成 PDF：请安装 LibreOffice（及中文字体）后重试，"
    "或去掉 --pdf 只生成 Word 文件。"
)
_WINDOWS_CANDIDATES = (
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
)


def find_soffice() -> str | None:
    """Path of the LibreOffice executable, or None when it is not installed."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    if sys.platform == "win32":
        for candidate in _WINDOWS_CANDIDATES:
            if Path(candidate).is_file():
                return candidate
    return None


def fonts_conf() -> str:
    """A fontconfig file: the system configuration plus the bureau's font names mapped to Noto CJK."""
    rules = []
    for asked, (used, bold) in FONT_MAP.items():
        weight = '<edit name="weight" mode="assign" binding="strong"><const>bold</const></edit>' if bold else ""
        rules.append(
            f'<match target="pattern"><test qual="any" name="family"><string>{escape(asked)}</string></test>'
            f'<edit name="family" mode="assign" binding="strong"><string>{escape(used)}</string></edit>{weight}</match>'
        )
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n' + "\n".join(rules) + "\n</fontconfig>\n"
    )


def convert_to_pdf(
    files: Sequence[Path],
    out_dir: Path | None = None,
    *,
    workers: int = 2,
    batch_size: int = 100,
    timeout: float = 600,
    progress: Callable[[int], None] | None = None,
) -> list[Path]:
    """Convert .docx ``files`` to PDF beside them (or into ``out_dir``); return the PDFs in input order.

    Raises :class:`OutputError` with one Chinese sentence when LibreOffice is missing,
    fails, or leaves a file unconverted. ``progress(n)`` is called after each batch.
    """
    files = [Path(f) for f in files]
    if not files:
        return []
    soffice = find_soffice()
    if soffice is None:
        raise OutputError(MISSING)
    workers = max(1, min(workers, len(files)))
    chunks: list[list[Path]] = [files[i::workers] for i in range(workers)]
    targets = {f: (out_dir or f.parent) / (f.stem + ".pdf") for f in files}
    lock = threading.Lock()

    with tempfile.TemporaryDirectory(prefix="tic-pdf-") as tmp_name:
        tmp = Path(tmp_name)
        conf = tmp / "fonts.conf"
        conf.write_text(fonts_conf(), encoding="utf-8")
        env = dict(os.environ)
        env["FONTCONFIG_FILE"] = str(conf)
        env.pop("FONTCONFIG_PATH", None)

        def work(index: int) -> None:
            profile = (tmp / f"profile{index}").resolve().as_uri()
            out = tmp / f"out{index}"
            out.mkdir(exist_ok=True)
            pending, retried = list(chunks[index]), set()
            while pending:
                batch, pending = pending[:batch_size], pending[batch_size:]
                _run_soffice(soffice, profile, batch, out, env, timeout)
                missing = []
                for f in batch:
                    produced = out / (f.stem + ".pdf")
                    if produced.is_file():
                        write_bytes(targets[f], produced.read_bytes())
                        produced.unlink()
                    elif f in retried:
                        raise OutputError(f"LibreOffice 未能把“{f.name}”转换为 PDF，请用 Word 打开该文件检查后重试。")
                    else:
                        missing.append(f)
                # one instance stops after a few hundred documents without a word: convert the rest again
                retried.update(missing)
                pending = missing + pending
                if progress is not None and len(batch) > len(missing):
                    with lock:
                        progress(len(batch) - len(missing))

        with ThreadPoolExecutor(max_workers=workers) as pool:
            for future in [pool.submit(work, i) for i in range(workers)]:
                future.result()
    return [targets[f] for f in files]


def _run_soffice(soffice: str, profile: str, batch: list[Path], out: Path, env: dict[str, str], timeout: float) -> None:
    cmd = [
        soffice,
        f"-env:UserInstallation={profile}",
        "--headless",
        "--invisible",
        "--norestore",
        "--nologo",
        "--nodefault",
        "--nolockcheck",
        "--convert-to",
        "pdf:writer_pdf_Export",
        "--outdir",
        str(out),
        *(str(f.resolve()) for f in batch),
    ]
    try:
        result = subprocess.run(cmd, env=env, capture_output=True, timeout=timeout, check=False)  # noqa: S603
    except subprocess.TimeoutExpired:
        raise OutputError(f"LibreOffice 转换 PDF 超过 {timeout:.0f} 秒仍未完成，已中止；请稍后重试。") from None
    except OSError as exc:
        raise OutputError(f"无法启动 LibreOffice（{soffice}）：{os_reason(exc)}。") from None
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OutputError(
            f"LibreOffice 转换 PDF 失败（退出码 {result.returncode}）：{detail[-1] if detail else '无输出'}。"
        )
