"""Sentence rules: the report's ways of stating a figure, section by section.

Each section of a report states its figures in a few sentence patterns. Most
are runs of clauses about one subject — "派单办理 N 万件，同比上升 N%，
占比 N%" — so a clause reader keeps the current subject and reads counts,
year-on-year changes and shares from each clause. The patterns that do not fit
that shape (lists in parentheses, "分别" pairs, monthly peaks) have rules of
their own. Rules match the wording of both known report years; they hold names
and phrases, never figures.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from hotline_kg.extract.collect import Collector, Subject
from hotline_kg.extract.stream import Piece

NUM = r"\d+(?:\.\d+)?"
CN_NUM = "一二三四五六七八九十百"
HOTLINE = Subject("12345热线", "hotline")
SIXTEEN = "十六区"
#: One canonical name for the street/township level, printed four ways.
STREET_LEVEL = "街道乡镇"
DISTRICT_LEVEL = "区级部门"

YOY_RE = re.compile(rf"同比(?P<dir>上升|下降|增长|减少|增加|提升|降低)(?P<v>{NUM})%")
#: The printed words for the direction of a change, and the one each is recorded as.
DIRECTION = {
    "上升": "上升",
    "增长": "上升",
    "增加": "上升",
    "提升": "上升",
    "下降": "下降",
    "减少": "下降",
    "降低": "下降",
}
SHARE_RE = re.compile(rf"占(?:比|(?P<whole>[^，。；%]{{1,20}}?)的)为?(?P<v>{NUM})%")
COUNT_RE = re.compile(rf"(?P<approx>约)?(?P<v>{NUM})(?P<unit>万件|件|万)(?![\d%])")
COUNT_OF_RE = re.compile(rf"(?P<v>{NUM})(?P<unit>个|项|条)[\u4e00-\u9fff]{{0,10}}?(?P<head>问题|任务|政策|措施)")
COUNT_OF_MEASURE = {"问题": "topics", "任务": "tasks", "政策": "policies", "措施": "measures"}
MULTIPLE_RE = re.compile(rf"(?:提升|增长|上升|增加|达到|为)(?P<approx>约)?(?P<v>{NUM}|[{CN_NUM}]+)倍")
RATES_RE = re.compile(
    rf"(?P<names>(?:[\u4e00-\u9fff]{{0,4}}?(?:解决率|满意率|响应率)、?)+)[^。%]*?"
    rf"(?P<resp>分别)?(?:提升至|提升到|提高到|提高至|达到|为)(?P<vals>{NUM}%(?:(?:和|、){NUM}%)*)"
)
RATE_NAMES = {"解决率": "resolution_rate", "满意率": "satisfaction_rate", "响应率": "response_rate"}
SHARE_TREND_RE = re.compile(
    rf"(?P<name>[\u4e00-\u9fff]+?)(?:受理量)?占比[^，。]*，由(?P<y1>\d{{4}})年的(?P<v1>{NUM})%"
    rf"(?:提升|上升|增长|增加|下降|降低|减少)(?:至|到)(?P<y2>\d{{4}})年的(?P<v2>{NUM})%"
)
MONTH_VALUE_RE = re.compile(rf"(?P<m>\d{{1,2}})月份?的(?P<v>{NUM})(?P<unit>万件|万|件)")
MONTH_RE = re.compile(r"(?P<m>\d{1,2})月")
PEAK_RE = re.compile(r"最高|高点|峰值")
DOUBLING_RE = re.compile(
    r"受理(?P<name>[\u4e00-\u9fff]{2,8}?)(?P<bases>(?:同比|环比)(?:、(?:同比|环比))*)均?实现(?P<word>翻倍)增长"
)
VALUES_RE = re.compile(rf"^(?:分别)?为(?P<vals>{NUM}万件(?:(?:和|、){NUM}万件)*)")
MULTIPLE_LIST_RE = re.compile(
    rf"^(?:其中|全年|今年|同时)?(?P<names>[\u4e00-\u9fff、和]+?)(?:类问题|问题|类)?(?:消费)?(?:相关)?"
    rf"(?:反映量)?增幅(?:分别)?(?:达到|为)(?P<vals>{NUM}倍(?:(?:和|、){NUM}倍)*)"
)
CATEGORY_RE = re.compile(rf"^(?P<name>[\u4e00-\u9fff]+?)类(?:问题)?(?:共计|共|为)?(?={NUM})")
SUBCATEGORY_LIST_RE = re.compile(r"主要反映(?P<list>.+?)等问题")
SUBCATEGORY_ITEM_RE = re.compile(rf"(?P<name>[^、（）()]+?)[（(](?P<approx>约)?(?P<v>{NUM})万件[）)]")
NAMED_ISSUE_RE = re.compile(r"^(?:其中)?(?!其他)(?P<name>[\u4e00-\u9fff]{2,12}?)(?:类|相关)?问题")
THEME_RE = re.compile(r"^(?:其中)?(?P<name>[\u4e00-\u9fff]{2,10}?)(?:类问题|问题|反映量|相关反映)")
RANKED_RE = re.compile(r"(?P<q>最多|最少|其次)(?:的)?是(?P<name>[^，；。、]+)")

#: Words that may stand before a figure in a clause that names no subject.
FILLER_RE = re.compile(r"(?:其中|共计|共|约|计|为|达到|达|承办|办理|受理|交办|涉及|诉求|派单|量|了|的)*")

Detect = Callable[[str], "Subject | None"]


def values_of(piece: Piece, match: re.Match[str], group: str) -> list[Piece]:
    """The numbers inside a matched group, as pieces (the values of a "分别" list)."""
    inner = piece.group(match, group)
    return [inner.sub(m.start(), m.end()) for m in re.finditer(NUM, inner.text)]


# --- the clause reader ----------------------------------------------------------------------


def read_clauses(
    col: Collector,
    section: str,
    sentence: Piece,
    detect: Detect,
    subject: Subject | None,
) -> Subject | None:
    """Read counts, year-on-year changes and shares clause by clause, each for
    the subject most recently named (``detect``) in the sentence.

    A clause that names no subject of its own ("同比上升 N%", "共办理诉求 N 万件")
    speaks of the previous one; but a figure after words the rules do not know
    ("受理企业来电 N 万件") is left alone, to show up as unclaimed rather than be
    given to the wrong subject."""
    for clause in sentence.clauses():
        text = clause.text
        found = detect(SHARE_RE.sub("", text))
        if found is not None:
            subject = found
        if subject is None:
            continue

        named_here = found is not None
        for m in YOY_RE.finditer(text):
            value = clause.group(m, "v")
            if not col.is_claimed(value) and (named_here or _only_filler_before(text, m)):
                col.add(section, subject, "yoy_change", value, "%", sentence, qualifier=DIRECTION[m.group("dir")])
        for m in SHARE_RE.finditer(text):
            value = clause.group(m, "v")
            if not col.is_claimed(value) and (named_here or _only_filler_before(text, m)):
                whole = whole_name(m.group("whole")) if m.group("whole") else subject.parent
                col.add(section, subject, "share", value, "%", sentence, relative_to=whole)
        for m in COUNT_OF_RE.finditer(text):
            value = clause.group(m, "v")
            if not col.is_claimed(value):
                measure = COUNT_OF_MEASURE[m.group("head")]
                col.add(section, subject, measure, value, m.group("unit"), sentence)
        for m in COUNT_RE.finditer(text):
            value = clause.group(m, "v")
            if not col.is_claimed(value) and (named_here or _only_filler_before(text, m)):
                qualifier = m.group("approx") or ""
                col.add(
                    section,
                    subject,
                    "requests",
                    value,
                    unit_of(m.group("unit")),
                    sentence,
                    qualifier=qualifier,
                )
    return subject


def _only_filler_before(text: str, m: re.Match[str]) -> bool:
    return FILLER_RE.fullmatch(text[: m.start()]) is not None


def unit_of(printed: str) -> str:
    """ "万" alone, after a count of requests, is 万件."""
    return "万件" if printed == "万" else printed


def whole_name(phrase: str) -> str:
    """The subject a share is "of": "十六区承办总量" → 十六区, "反映总量" → the hotline."""
    if SIXTEEN in phrase or "全市各区" in phrase:
        return SIXTEEN
    if "反映总量" in phrase or "受理总量" in phrase or phrase == "受理量":
        return HOTLINE.name
    return phrase


# --- overview and summary ------------------------------------------------------------------


def detect_overview(text: str) -> Subject | None:
    if re.search(r"派单办理|诉求派单|派单处理", text):
        return Subject("诉求派单", "disposition", HOTLINE.name)
    if "直接答复" in text:
        return Subject("直接答复", "disposition", HOTLINE.name)
    if m := re.search(r"(电话|网络)渠道", text):
        return Subject(m.group(0), "channel", HOTLINE.name)
    if m := re.search(rf"前([{CN_NUM}]+)类(?:日常)?问题", text):
        return Subject(f"前{m.group(1)}类问题", "category_group", HOTLINE.name)
    if re.search(r"受理群众反映|受理总量", text):
        return HOTLINE
    if m := re.search(r"受理(?P<name>[\u4e00-\u9fff]{2,20}?)问题", text):
        return Subject(m.group("name"), "theme", HOTLINE.name)
    return None


def overview(col: Collector, section: str, text: Piece) -> None:
    for sentence in text.sentences():
        rates(col, section, sentence)
        share_trend(col, section, sentence)
        months = monthly_totals(col, section, sentence)
        volume_multiple(col, section, sentence, months)
        doubling(col, section, sentence)
        read_clauses(col, section, sentence, detect_overview, HOTLINE)


def rates(col: Collector, section: str, sentence: Piece) -> None:
    """ "诉求解决率、满意率分别提升至 N%和 N%"."""
    for m in RATES_RE.finditer(sentence.text):
        names = re.findall("|".join(RATE_NAMES), m.group("names"))
        values = values_of(sentence, m, "vals")
        if len(names) != len(values):
            col.warn(sentence.line, f"{len(names)} rates named but {len(values)} values given")
            continue
        for name, value in zip(names, values, strict=True):
            col.add(section, HOTLINE, RATE_NAMES[name], value, "%", sentence)


def share_trend(col: Collector, section: str, sentence: Piece) -> None:
    """ "网络渠道受理量占比…，由 YYYY 年的 N%提升至 YYYY 年的 N%"."""
    for m in SHARE_TREND_RE.finditer(sentence.text):
        subject = detect_overview(m.group("name"))
        if subject is None:
            continue
        for y, v in (("y1", "v1"), ("y2", "v2")):
            year = sentence.group(m, y)
            share = sentence.group(m, v)
            col.add(
                section,
                subject,
                "share",
                share,
                "%",
                sentence,
                period=year.text,
                relative_to=subject.parent,
                also=[year],
            )


def monthly_totals(col: Collector, section: str, sentence: Piece) -> list[str]:
    """ "单月受理量从 M 月份的 N 万提升至全年最高点 M 月份的 N 万"; returns the
    periods read, in order."""
    if not re.search(r"单月|各月|月受理量", sentence.text):
        return []
    periods = []
    last = 0
    for m in MONTH_VALUE_RE.finditer(sentence.text):
        peak = "最高" if "最高" in sentence.text[last : m.start()] else ""
        last = m.end()
        value, month = sentence.group(m, "v"), sentence.group(m, "m")
        col.add(
            section,
            HOTLINE,
            "requests",
            value,
            unit_of(m.group("unit")),
            sentence,
            month=month,
            qualifier=peak,
        )
        periods.append(col.facts[-1].period)
    return periods


def volume_multiple(col: Collector, section: str, sentence: Piece, periods: list[str]) -> None:
    """ "单月受理量提升约八倍": growth of the hotline's volume as a multiple, from
    the first to the last month the sentence names."""
    span = {"period": periods[-1], "relative_to": periods[0]} if len(periods) > 1 else {}
    for clause in sentence.clauses():
        if "受理量" not in clause.text:
            continue
        for m in MULTIPLE_RE.finditer(clause.text):
            value = clause.group(m, "v")
            printed = value if value.text[0].isdigit() else value.text
            col.add(
                section,
                HOTLINE,
                "growth_multiple",
                printed,
                "倍",
                sentence,
                place=value,
                qualifier=m.group("approx") or "",
                **span,
            )


def doubling(col: Collector, section: str, sentence: Piece) -> None:
    """ "受理企业来电同比、环比均实现翻倍增长": a doubling, against each base named."""
    for m in DOUBLING_RE.finditer(sentence.text):
        subject = Subject(m.group("name"), "theme", HOTLINE.name)
        word = sentence.group(m, "word")
        for base in re.findall("同比|环比", m.group("bases")):
            col.add(section, subject, "growth_multiple", word.text, "倍", sentence, place=word, qualifier=base)


# --- top-ten categories --------------------------------------------------------------------


def category(col: Collector, section: str, text: Piece, title: str) -> None:
    """One category: its total and change, its listed subcategories, its monthly peaks."""
    cat = Subject(title, "category", HOTLINE.name)
    known: list[str] = [title]
    for sentence in text.sentences():
        head = CATEGORY_RE.match(sentence.text)
        if head:
            if head.group("name") != title:
                col.warn(
                    sentence.line,
                    f"category “{head.group('name')}” under the heading “{title}”; the heading's name is used",
                )
            known += subcategories(col, section, sentence, cat)
            read_clauses(col, section, sentence, lambda t: cat if CATEGORY_RE.match(t) else None, cat)
        else:
            monthly_peaks(col, section, sentence, cat, known)


def subcategories(col: Collector, section: str, sentence: Piece, cat: Subject) -> list[str]:
    """ "主要反映网络交易（N 万件）、市场环境秩序（N 万件）…等问题"."""
    names = []
    for m in SUBCATEGORY_LIST_RE.finditer(sentence.text):
        items = sentence.group(m, "list")
        for item in SUBCATEGORY_ITEM_RE.finditer(items.text):
            name = item.group("name").strip()
            names.append(name)
            col.add(
                section,
                Subject(f"{cat.name}/{name}", "subcategory", cat.name),
                "requests",
                items.group(item, "v"),
                "万件",
                sentence,
                qualifier=item.group("approx") or "",
            )
    return names


def monthly_peaks(col: Collector, section: str, sentence: Piece, cat: Subject, known: list[str]) -> None:
    """ "从各月受理量看，小区配套问题…在 M 月份达到年度最高，为 N 万件"; also the
    "分别为" forms, pairing several months or several subjects with the values."""
    subjects: list[Subject] = []
    months: list[Piece] = []
    peak = ""
    by_length = sorted(known, key=len, reverse=True)
    for clause in sentence.clauses():
        named = names_in(clause.text, by_length)
        if not named and (m := NAMED_ISSUE_RE.match(clause.text)):
            named = [m.group("name")]
            if named[0] not in known:
                col.warn(clause.line, f"“{named[0]}” is not a listed subcategory of {cat.name}")
        if named:
            subjects = [cat if n == cat.name else Subject(f"{cat.name}/{n}", "subcategory", cat.name) for n in named]
        if PEAK_RE.search(clause.text):
            found = [clause.group(m, "m") for m in MONTH_RE.finditer(clause.text)]
            if found:
                months = found
                peak = "相对高点" if "相对高点" in clause.text else "最高"
        v = VALUES_RE.match(clause.text)
        if not v:
            continue
        values = values_of(clause, v, "vals")
        pairs: list[tuple[Subject, Piece, Piece]] = []
        if len(subjects) == 1 and len(months) == len(values):
            pairs = [(subjects[0], mo, va) for mo, va in zip(months, values, strict=True)]
        elif len(months) == 1 and len(subjects) == len(values):
            pairs = [(su, months[0], va) for su, va in zip(subjects, values, strict=True)]
        if not pairs:
            col.warn(clause.line, f"cannot pair the monthly figures in “{clause.text}” with subjects and months")
        for subject, month, value in pairs:
            col.add(section, subject, "requests", value, "万件", sentence, month=month, qualifier=peak)


def names_in(text: str, names_by_length: list[str]) -> list[str]:
    """Known names occurring in the text, in the order they occur (longest name wins)."""
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for name in names_by_length:
        for m in re.finditer(re.escape(name), text):
            if all(m.end() <= a or m.start() >= b for a, b in taken):
                taken.append((m.start(), m.end()))
                found.append((m.start(), name))
    return [name for _, name in sorted(found)]


# --- trends --------------------------------------------------------------------------------


def trends(col: Collector, section: str, text: Piece) -> None:
    """ "旅游、文体市场消费反映量增幅分别达到 N 倍和 N 倍"."""
    for sentence in text.sentences():
        for clause in sentence.clauses():
            m = MULTIPLE_LIST_RE.match(clause.text)
            if not m:
                continue
            names = [n.removesuffix("问题").removesuffix("类") for n in re.split("[、和]", m.group("names")) if n]
            values = values_of(clause, m, "vals")
            if len(names) != len(values):
                col.warn(sentence.line, f"{len(names)} names but {len(values)} multiples")
                continue
            for name, value in zip(names, values, strict=True):
                col.add(section, Subject(name, "category", HOTLINE.name), "growth_multiple", value, "倍", sentence)
        read_clauses(col, section, sentence, detect_theme, None)


def detect_theme(text: str) -> Subject | None:
    """A theme named at the start of a clause: "消防安全反映量…", "公园管理类问题…"."""
    if m := THEME_RE.match(text):
        return Subject(m.group("name"), "theme", HOTLINE.name)
    return None


# --- handling: districts, city departments, state-owned enterprises, monthly topics ------------


def detect_district(parent: str) -> Detect:
    """Subjects of the district sentences; ``parent`` is the district of the
    paragraph, or 十六区 in the introduction."""
    whole = Subject(SIXTEEN, "district_group") if parent == SIXTEEN else Subject(parent, "district", SIXTEEN)

    def detect(text: str) -> Subject | None:
        if m := RANKED_RE.search(text):
            return Subject(m.group("name"), "district", SIXTEEN, m.group("q"))
        if DISTRICT_LEVEL in text:
            return whole.part(DISTRICT_LEVEL)
        if re.match(r"^(?:其中)?(?:街道乡镇|街乡镇|街镇|街道)", text):
            return whole.part(STREET_LEVEL)
        if SIXTEEN in text:
            return Subject(SIXTEEN, "district_group")
        if m := re.match(r"^(?P<d>[\u4e00-\u9fff]{1,4}区)(?:共|诉求|承办)", text):
            return Subject(m.group("d"), "district", SIXTEEN)
        return None

    return detect


def districts(col: Collector, section: str, text: Piece, district: str | None) -> None:
    parent = district or SIXTEEN
    detect = detect_district(parent)
    start = Subject(district, "district", SIXTEEN) if district else None
    for sentence in text.sentences():
        read_clauses(col, section, sentence, detect, start)


def handlers(kind: str) -> Callable[[Collector, str, Piece], None]:
    """City departments and state-owned enterprises: "最多的是 X，共办理诉求 N 万件；其次是 Y…"."""

    def detect(text: str) -> Subject | None:
        if m := RANKED_RE.search(text):
            return Subject(m.group("name"), kind, "", m.group("q"))
        return None

    def read(col: Collector, section: str, text: Piece) -> None:
        for sentence in text.sentences():
            read_clauses(col, section, sentence, detect, None)

    return read


TOPICS = Subject("每月一题", "topic_program")


def topics_intro(col: Collector, section: str, text: Piece) -> None:
    """ "“每月一题”聚焦…等 N 个高频难点民生问题，完成了 N 项任务…共涉及诉求 N 万件"."""
    for sentence in text.sentences():
        read_clauses(col, section, sentence, lambda _t: None, TOPICS)


def handling_intro(col: Collector, section: str, text: Piece) -> None:
    """ "YYYY 年 12345 热线派单处理的 N 万件诉求，由区级部门…办理"."""
    for sentence in text.sentences():
        read_clauses(col, section, sentence, detect_overview, None)
