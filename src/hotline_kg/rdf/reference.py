"""The curated code lists in data/reference, and how a fact's subject resolves to one.

Each list is a CSV of names, labels, slugs, codes and verified links — no figures.
A subject printed in a facts table ("朝阳区/区级部门", "市场管理/网络交易") resolves
to a ``Code``: a URI path under ``id/`` and labels in Chinese and English.
Names under which one thing is printed in different years are alternative labels
of the same code (开发区管委会 / 经开区管委会).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hotline_kg.rdf.errors import BuildError, read_table
from hotline_kg.schema import SUBJECT_KINDS

#: subject_kind of the facts table → URI path prefix, for the kinds listed in subjects.csv
#: (derived from hotline_kg.schema.SUBJECT_KINDS).
SIMPLE_KINDS = {k.name: k.path for k in SUBJECT_KINDS.values() if k.listed_in == "subjects.csv"}
#: ontology class of the codes of each subject kind's list (hotline_kg.schema.SUBJECT_KINDS)
KIND_CLASSES = {k.name: k.code_class for k in SUBJECT_KINDS.values()}
#: the kinds listed in handlers.csv
HANDLER_KINDS = tuple(k.name for k in SUBJECT_KINDS.values() if k.listed_in == "handlers.csv")
#: The columns each code list must have (the others are optional).
COLUMNS = {
    "categories.csv": ("slug", "name_zh", "name_en"),
    "subcategories.csv": ("category_slug", "slug", "name_zh", "name_en"),
    "districts.csv": ("code", "name_zh", "name_en", "wikidata"),
    "handlers.csv": ("kind", "slug", "name_zh", "name_en"),
    "channels.csv": ("slug", "name_zh", "name_en"),
    "topics.csv": ("year", "slug", "name_zh", "name_en"),
    "subjects.csv": ("kind", "slug", "name_zh", "name_en"),
}
SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
#: Columns that become parts of URIs or links, and what their values must look like.
KEYS = {
    "slug": (re.compile(SLUG), "a slug (lower-case letters and digits, joined by hyphens)"),
    "category_slug": (re.compile(SLUG), "a slug (lower-case letters and digits, joined by hyphens)"),
    "close_match": (re.compile(rf"(?:{SLUG}(?:/{SLUG})?)?"), "a category slug, or category/subcategory slugs"),
    "code": (re.compile(r"[0-9]{6}"), "a six-digit GB/T 2260 code"),
    "year": (re.compile(r"[0-9]{4}"), "a year"),
    "wikidata": (re.compile(r"(?:Q[1-9][0-9]*)?"), "a Wikidata item (Q…)"),
}


@dataclass(frozen=True)
class Code:
    """One code of a code list: what a figure can be about."""

    path: str  # under id/, e.g. "district/110105"
    kind: str  # ontology class name, e.g. "District"
    label_zh: str
    label_en: str
    alt_zh: tuple[str, ...] = ()
    scheme: str = ""  # its own code list, e.g. "districts"
    broader: str = ""  # path of the broader code
    links: dict[str, str] = field(default_factory=dict)  # property name → value
    note_en: str = ""
    note_zh: str = ""


@dataclass
class Reference:
    """All code lists, indexed by the names printed in the reports."""

    codes: dict[str, Code] = field(default_factory=dict)  # path → code
    by_name: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, printed name) → path
    subcategory: dict[tuple[str, str], str] = field(default_factory=dict)  # (category path, name) → path
    topic: dict[tuple[int, str], str] = field(default_factory=dict)  # (year, name) → path
    close_matches: list[tuple[str, str]] = field(default_factory=list)
    origin: dict[str, str] = field(default_factory=dict)  # path → "file:line" of its row, for messages

    def add(self, code: Code, kind: str, where: str) -> None:
        if code.path in self.codes:
            raise BuildError(where, None, f"two rows for {code.path}")
        self.codes[code.path] = code
        self.origin[code.path] = where
        for name in (code.label_zh, *code.alt_zh):
            key = (kind, name)
            if key in self.by_name:
                raise BuildError(where, None, f"the name “{name}” is given to two {kind} codes")
            self.by_name[key] = code.path

    def resolve(self, subject: str, kind: str, year: int) -> list[Code]:
        """The code for a printed subject, preceded by the codes it is made of
        (a district part needs its district; a topic handling its topic and handler).
        Raises KeyError with the name not found."""
        if kind == "subcategory":
            cat, _, sub = subject.partition("/")
            parent = self._named("category", cat)
            path = self.subcategory.get((parent, sub))
            if path is None:
                raise KeyError(f"subcategory “{sub}” of “{cat}”")
            return [self.codes[parent], self.codes[path]]
        if kind == "district_part":
            whole, _, level = subject.partition("/")
            whole_path = self.by_name.get(("district", whole)) or self._named("district_group", whole)
            level_code = self.codes[self._named("district_part", level)]
            return [self.codes[whole_path], level_code, self._part(self.codes[whole_path], level_code)]
        if kind == "monthly_topic":
            return [self.codes[self._topic(year, subject)]]
        if kind == "topic_handler":
            topic_name, _, handler_name = subject.rpartition("/")
            topic = self.codes[self._topic(year, topic_name)]
            handler = self.codes[self._handler(handler_name)]
            return [topic, handler, self._handling(topic, handler)]
        if kind in ("city_department", "state_owned_enterprise"):
            return [self.codes[self._handler(subject)]]
        return [self.codes[self._named(kind, subject)]]

    def _named(self, kind: str, name: str) -> str:
        path = self.by_name.get((kind, name))
        if path is None:
            raise KeyError(f"{kind.replace('_', ' ')} “{name}”")
        return path

    def _topic(self, year: int, name: str) -> str:
        path = self.topic.get((year, name))
        if path is None:
            raise KeyError(f"monthly topic “{name}” of {year}")
        return path

    def _handler(self, name: str) -> str:
        path = self.by_name.get(("district", name)) or self.by_name.get(("handler", name))
        if path is None:
            raise KeyError(f"handler “{name}”")
        return path

    @staticmethod
    def _part(whole: Code, level: Code) -> Code:
        slug = level.path.rsplit("/", 1)[-1]
        return Code(
            path=f"{whole.path}/{slug}",
            kind="DistrictBody",
            label_zh=f"{whole.label_zh}{level.label_zh}",
            label_en=f"{whole.label_en}: {level.label_en[:1].lower()}{level.label_en[1:]}",
            scheme="handlers",
            broader=whole.path,
            links={"district": whole.path, "level": level.path},
        )

    @staticmethod
    def _handling(topic: Code, handler: Code) -> Code:
        key = handler.path.replace("/", "-")
        return Code(
            path=f"{topic.path}/{key}",
            kind="TopicHandling",
            label_zh=f"{topic.label_zh}：{handler.label_zh}",
            label_en=f"{topic.label_en}: {handler.label_en}",
            scheme="topics",
            broader=topic.path,
            links={"topic": topic.path, "handler": handler.path},
        )


def load(folder: Path) -> Reference:
    """Read every code list in ``folder``; errors name the file and row."""
    ref = Reference()
    for row, where in _rows(folder / "categories.csv"):
        ref.add(_code(row, _path("category", row["slug"]), KIND_CLASSES["category"], "categories"), "category", where)
    cat_by_slug = {code.path.split("/", 1)[1]: path for path, code in ref.codes.items()}
    for row, where in _rows(folder / "subcategories.csv"):
        parent = cat_by_slug.get(row["category_slug"])
        if parent is None:
            raise BuildError(where, None, f"unknown category_slug “{row['category_slug']}”")
        code = _code(row, f"{parent}/{row['slug']}", KIND_CLASSES["subcategory"], "categories", broader=parent)
        if code.path in ref.codes:
            raise BuildError(where, None, f"two rows for {code.path}")
        ref.codes[code.path] = code
        ref.origin[code.path] = where
        for name in (code.label_zh, *code.alt_zh):
            ref.subcategory[(parent, name)] = code.path
    for row, where in _rows(folder / "districts.csv"):
        links = {"gbCode": row["code"]}
        if row["wikidata"]:
            # a wrong link is worse than none: an item goes in only with the evidence that verified it
            if not row.get("how_verified"):
                raise BuildError(where, None, f"wikidata {row['wikidata']} without how_verified (verified links only)")
            links["wikidata"] = row["wikidata"]
        code = _code(row, _path("district", row["code"]), KIND_CLASSES["district"], "districts", links=links)
        ref.add(code, "district", where)
    for row, where in _rows(folder / "handlers.csv"):
        if row["kind"] not in HANDLER_KINDS:
            raise BuildError(where, None, f"kind must be {' or '.join(HANDLER_KINDS)}: “{row['kind']}”")
        code = _code(row, _path(row["kind"], row["slug"]), KIND_CLASSES[row["kind"]], "handlers")
        ref.add(code, "handler", where)
    for row, where in _rows(folder / "channels.csv"):
        ref.add(_code(row, _path("channel", row["slug"]), KIND_CLASSES["channel"], "channels"), "channel", where)
    for row, where in _rows(folder / "topics.csv"):
        code = _code(row, _path("monthly_topic", row["year"], row["slug"]), KIND_CLASSES["monthly_topic"], "topics")
        if code.path in ref.codes:
            raise BuildError(where, None, f"two rows for {code.path}")
        ref.codes[code.path] = code
        ref.origin[code.path] = where
        ref.topic[(int(row["year"]), row["name_zh"])] = code.path
    for row, where in _rows(folder / "subjects.csv"):
        kind = row["kind"]
        if kind not in SIMPLE_KINDS:
            raise BuildError(where, None, f"unknown kind “{kind}” (one of {', '.join(SIMPLE_KINDS)})")
        path = _path(kind, row["slug"])
        scheme = "levels" if kind == "district_part" else "subjects"
        ref.add(_code(row, path, KIND_CLASSES[kind], scheme), kind, where)
    for path, code in ref.codes.items():
        if code.links.get("closeMatch"):
            target = _path("category", code.links["closeMatch"])  # close_match is written category[/subcategory]
            if target not in ref.codes:
                where = ref.origin.get(path, str(folder))
                raise BuildError(where, None, f"{path}: close_match “{code.links['closeMatch']}” is not a code")
            ref.close_matches.append((path, target))
    return ref


def _path(kind: str, *keys: str) -> str:
    """The URI path (under id/) of a code of the kind's list."""
    return "/".join((SUBJECT_KINDS[kind].path, *keys))


def _code(
    row: dict[str, str],
    path: str,
    kind: str,
    scheme: str,
    *,
    broader: str = "",
    links: dict[str, str] | None = None,
) -> Code:
    links = dict(links or {})
    if row.get("close_match"):
        links["closeMatch"] = row["close_match"]
    return Code(
        path=path,
        kind=kind,
        label_zh=row["name_zh"],
        label_en=row["name_en"],
        alt_zh=tuple(a for a in (row.get("alt_labels_zh") or "").split("|") if a),
        scheme=scheme,
        broader=broader,
        links=links,
        note_en=row.get("note_en") or "",
        note_zh=row.get("note_zh") or "",
    )


def _rows(path: Path) -> Iterator[tuple[dict[str, str], str]]:
    """Rows of a reference CSV with "file:line" for messages; the list's columns must be there,
    names and labels present, slugs, codes and links well-formed."""
    header, rows = read_table(path, "reference file missing")
    lacking = [column for column in COLUMNS.get(path.name, ()) if column not in header]
    if lacking:
        raise BuildError(f"{path}:1", None, f"no column {', '.join(lacking)}")
    for line, raw in rows:
        where = f"{path}:{line}"
        row = {k: v.strip() for k, v in raw.items()}
        for column in ("name_zh", "name_en"):
            if column in row and not row[column]:
                raise BuildError(where, None, f"empty {column}")
        for column, (pattern, what) in KEYS.items():
            if column in row and not pattern.fullmatch(row[column]):
                raise BuildError(where, None, f"{column} “{row[column]}” is not {what}")
        yield row, where
