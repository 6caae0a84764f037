"""Fail when the zh-hans or en catalog is incomplete, stale or not compiled.

1. Extracts the current msgids (makemessages into a temporary copy of locale/) and checks each
   committed catalog has all of them.
2. Every zh-hans entry is translated (no empty msgstr, no fuzzy); en may repeat the msgid.
3. The committed .mo files hold the same translations as the .po files.
4. No translation function is imported under a name xgettext does not know (`gettext_lazy as _lazy`
   hid the portal's buttons from the catalog: they rendered in English in the Chinese UI).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LANGS = {"zh_Hans": True, "en": False}  # language -> must every entry be translated?
# makemessages' xgettext keywords: these names, or `_` (an alias to anything else is never extracted).
ALIAS_RE = re.compile(r"\b(n?p?gettext(?:_lazy|_noop)?|ngettext(?:_lazy)?)\s+as\s+(?!_\b)(\w+)")
SKIP_DIRS = {".venv", "tests", "benchmarks", "scripts", "node_modules", "var", ".git"}


def alias_problems() -> list[str]:
    out = []
    for path in ROOT.rglob("*.py"):
        if SKIP_DIRS.intersection(path.relative_to(ROOT).parts):
            continue
        for match in ALIAS_RE.finditer(path.read_text(encoding="utf-8")):
            out.append(f"{path.relative_to(ROOT)}: {match.group(1)} imported as {match.group(2)!r}; "
                       f"makemessages only extracts {match.group(1)}(…) or _(…)")
    return out


def main() -> int:
    problems: list[str] = alias_problems()
    with tempfile.TemporaryDirectory() as tmp:
        # makemessages writes to the `locale/` folder it finds beside the sources, so extract from a
        # throwaway copy of the project: the committed catalogs are compared, never modified.
        work = Path(tmp) / "src"
        shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns(
            ".venv", "var", ".git", "test-artifacts", "node_modules", "__pycache__", "*.mo", ".*_cache"))
        args = [sys.executable, "manage.py", "makemessages", "--no-obsolete", "--no-location", "-v0",
                "--ignore=tests/*", "--ignore=benchmarks/*", "--ignore=scripts/*"]
        for lang in LANGS:
            args += ["-l", lang]
        env = {k: v for k, v in os.environ.items() if k != "OPSDESK_LOCALE_DIR"}
        subprocess.run(args, cwd=work, env=env, check=True)
        for lang, strict in LANGS.items():
            po_path = ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"
            if not po_path.exists():
                problems.append(f"{po_path} is missing")
                continue
            committed = polib.pofile(str(po_path))
            fresh = polib.pofile(str(work / "locale" / lang / "LC_MESSAGES" / "django.po"))
            have = {(e.msgctxt, e.msgid) for e in committed if not e.obsolete}
            missing = [e.msgid for e in fresh if (e.msgctxt, e.msgid) not in have]
            for msgid in missing[:20]:
                problems.append(f"{lang}: not in the catalog (run makemessages and translate): {msgid!r}")
            if len(missing) > 20:
                problems.append(f"{lang}: … and {len(missing) - 20} more missing")
            for entry in committed:
                if entry.obsolete:
                    continue
                if "fuzzy" in entry.flags:
                    problems.append(f"{lang}: fuzzy entry {entry.msgid!r}")
                elif strict and not entry.translated():
                    problems.append(f"{lang}: untranslated {entry.msgid!r}")
            mo_path = po_path.with_suffix(".mo")
            if not mo_path.exists():
                problems.append(f"{mo_path} is missing (run compilemessages)")
            else:
                mo = {(e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
                      for e in polib.mofile(str(mo_path))}
                po = {(e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
                      for e in committed if e.translated() and not e.obsolete and "fuzzy" not in e.flags}
                stale = [k[1] for k, v in po.items() if mo.get(k) != v]
                if stale:
                    problems.append(f"{lang}: {mo_path.name} is stale for {len(stale)} entries (run compilemessages)")
    for p in problems:
        print(p)
    print(f"translations: {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
