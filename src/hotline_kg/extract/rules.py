"""Reading rules: each number of a section gets its meaning from the cue words of its clause.

The tokenizer (``numbers``) gives every number with its unit. A clause reader
keeps the subject most recently named and gives each number of a clause its
measure from its unit and the cue words just before it (``cues.csv``): a count
of requests (万件, 件), a year-on-year change (同比/较上年 + a direction word,
%), a share (占比/占…的/比重, %), a count of topics, tasks, policies or
measures (个/项/条 + the word counted). A few statements carry figures in
lists or pairs — rates "分别为 N% 和 N%", subcategories "A（N 万件）、B（…）",
monthly peaks, shares at two years, growth multiples — and have rules of their
own. A number the rules cannot place with certainty is left alone, to be
listed as unclaimed. Rules hold names and phrases, never figures: the figures below are
in the examples only, sentences quoted from the reports (run by tests/test_doctests.py).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache

from hotline_kg.extract import cues, periods
from hotline_kg.extract.collect import Collector, Subject, district_names
from hotline_kg.extract.numbers import Token, numerals, tokens
from hotline_kg.extract.stream import Piece
from hotline_kg.schema import MEASURE_UNITS, NUMBER

CN_NUM = "一二三四五六七八九十百"
HOTLINE = Subject("12345热线", "hotline")
#: The sixteen districts together: the name the cue table gives the district group.
SIXTEEN = next(
    m.split(" ", 1)[1]
    for c in cues.table().cues("subject")
    if (m := cues.table().meaning("subject", c)).startswith("district_group ")
)
TOPICS = Subject("每月一题", "topic_program")
CN_ORDINAL = "一二三四五六七八九十"

#: A subject named in a text, and the offset just after its name there.
Found = tuple[Subject, int]
Detect = Callable[[str], "Found | None"]


@dataclass(frozen=True)
class Patterns:
    """Regular expressions built from the cue table (once)."""

    share: re.Pattern[str]
    share_phrase: re.Pattern[str]
    change: re.Pattern[str]
    change_against: re.Pattern[str]
    filler: re.Pattern[str]
    rank: re.Pattern[str]
    approx: re.Pattern[str]
    district_named: re.Pattern[str]
    district_anywhere: re.Pattern[str]
    against_month: re.Pattern[str]
    ranked_after: re.Pattern[str]
    level: re.Pattern[str]
    rate_names: re.Pattern[str]
    subcategory_list: re.Pattern[str]
    subcategory_item: re.Pattern[str]
    share_trend: re.Pattern[str]
    doubling: re.Pattern[str]
    category: re.Pattern[str]
    series: re.Pattern[str]
    multiple: re.Pattern[str]


@cache
def patterns() -> Patterns:
    t = cues.table()
    share, direction, base = t.pattern("share"), t.pattern("direction"), t.pattern("base")
    theme_words = t.pattern("theme_word")
    filler = rf"(?:{t.pattern('filler')}|{t.pattern('approx')})*"
    return Patterns(
        # before a % figure: "占比", "占十六区…总量的", "所占比例为"
        share=re.compile(rf"(?:{share})(?P<whole>[^，。；%0-9]{{1,24}}?的)?(?:为|是|达到|达)?$"),
        share_phrase=re.compile(rf"(?:{share})(?:[^，。；%0-9]{{1,24}}?的)?(?:为|是|达到|达)?{NUMBER} ?%"),
        # before a % figure: "同比上升", "较上年增长", "比上年分别下降"
        change=re.compile(rf"(?P<base>{base})(?P<each>均|分别)?(?P<dir>{direction})(?:了)?$"),
        # before a % figure: "环比2019年上升", "较2019年增长": a change against a year named
        change_against=re.compile(
            rf"(?:{t.pattern('compare')}|{base})(?P<y>\d{{4}})年(?:均|分别)?(?P<dir>{direction})(?:了)?$"
        ),
        filler=re.compile(filler),
        approx=re.compile(t.pattern("approx")),
        rank=re.compile(
            rf"(?:排在|排名|位居|居)?(?:第(?P<n>[0-9]+)位|(?P<q>{t.pattern('rank')})(?:位)?)(?:的)?(?:是|为)"
            rf"(?P<name>[^，；。、：:0-9]+)"
        ),
        # "东城区共承办…": a district named before the words of its figure
        district_named=re.compile(rf"^(?P<d>[\u4e00-\u9fff]{{1,4}}区)(?=(?:{t.pattern('filler')}))"),
        district_anywhere=district_names(),
        # "较 1 月增长两倍": a growth against an earlier month
        against_month=re.compile(rf"^(?:比|较)(?P<m>\d{{1,2}})月份?(?:{direction})约?"),
        ranked_after=re.compile(
            rf"^(?:其中)?(?P<d>[\u4e00-\u9fff]{{1,4}}区)(?:{t.pattern('filler')})*(?:位|排名|排在)?(?P<q>{t.pattern('rank')})"
        ),
        level=re.compile(rf"^(?:其中)?(?P<cue>{t.pattern('subject')})"),
        rate_names=re.compile(rf"(?:[\u4e00-\u9fff]{{0,4}}?(?:{t.pattern('rate')})(?:、|和|及)?)+"),
        subcategory_list=re.compile(rf"(?:{t.pattern('list_intro')})(?P<list>.+?)等(?:问题|方面)?"),
        subcategory_item=re.compile(
            rf"(?P<name>[^、（）()]+?)[（(](?P<approx>{t.pattern('approx')})?(?P<v>{NUMBER}) ?(?:万件|万)[）)]"
        ),
        share_trend=re.compile(
            # the name starts a run of Chinese characters (see ``series``)
            rf"(?<![\u4e00-\u9fff])"
            rf"(?P<name>[\u4e00-\u9fff]+?)(?:受理量)?(?:{share})[^，。]*?，?(?:{t.pattern('trend_from')})"
            rf"(?P<y1>\d{{4}})年的(?P<v1>{NUMBER}) ?%"
            rf"(?:{direction})(?:{t.pattern('trend_to')})(?P<y2>\d{{4}})年的(?P<v2>{NUMBER}) ?%"
        ),
        doubling=re.compile(
            rf"受理(?P<name>[\u4e00-\u9fff]{{2,8}}?)(?P<bases>(?:{base})(?:、(?:{base}))*)均?实现"
            rf"(?P<word>{numerals()[1]})增长"
        ),
        category=re.compile(rf"^(?P<name>[\u4e00-\u9fff]+?)(?:类问题|类|问题){filler}(?=[0-9])"),
        # the name starts a run of Chinese characters: a match that fails there fails from any later
        # character of the run, so the lookbehind changes no match and saves trying them all
        series=re.compile(
            rf"(?<![\u4e00-\u9fff])(?P<name>[\u4e00-\u9fff]*?)(?:{theme_words})?(?:类问题|问题|的)?"
            rf"(?:{t.pattern('monthly')})(?:受理|反映)量"
        ),
        multiple=re.compile(
            rf"(?:^|[，；。])(?:其中|全年|今年|同时)?(?P<names>[\u4e00-\u9fff、和]+?)(?:{theme_words})?(?:类问题|问题|类)?"
            rf"(?:{theme_words})?(?:{theme_words})?"
            r"(?P<what>(?:反映量|受理量)?(?P<base>同比|环比)?(?:增幅|增长)?)(?:也|均)?(?:分别)?(?:达到|为|实现)?约?$"
        ),
    )


def rank_of(m: re.Match[str]) -> str:
    """A rank as the qualifier names it: 最多 (first), 其次 (second), 第三 …, 最少 (last)."""
    table = cues.table()
    if m.group("n"):
        n = int(m.group("n")) if len(m.group("n")) <= len(str(len(CN_ORDINAL))) else 0
        if not 1 <= n <= len(CN_ORDINAL):
            return ""
        ordinal = f"第{CN_ORDINAL[n - 1]}"
        return table.meaning("rank", ordinal) if ordinal in table.cues("rank") else ordinal
    return table.meaning("rank", m.group("q"))


# --- the clause reader ----------------------------------------------------------------------


@dataclass(frozen=True)
class Meaning:
    """What a number is, read from its unit and the cue words before it."""

    measure: str
    unit: str
    lead: str  # the words before the cue: only filler may stand there for a subject named earlier
    relative_to: str = ""
    qualifier: str = ""
    against: int | None = None  # a change against this year: year-on-year only if it is the year before


def meaning(tok: Token, before: str, after: str, subject: Subject) -> Meaning | None:
    """The measure of one number in a clause, or None when its cue words are not known.

    >>> count, change, share = tokens(Piece.of_text("其中，诉求派单4431.3万件，同比上升1.7%，占比78.1%"))
    >>> dispatched = Subject("诉求派单", "disposition", "12345热线")
    >>> meaning(change, "同比上升", "", dispatched)
    Meaning(measure='yoy_change', unit='%', lead='', relative_to='', qualifier='上升', against=None)
    >>> meaning(share, "占比", "", dispatched).relative_to
    '12345热线'
    """
    p = patterns()
    t = cues.table()
    before = before.removesuffix(" ")
    if tok.unit == "%":
        if m := p.change.search(before):
            if m.group("each") == "分别":
                return None  # "同比分别增长 A% 和 B%": figures of several subjects, which the clause does not pair
            return Meaning("yoy_change", "%", before[: m.start()], qualifier=t.meaning("direction", m.group("dir")))
        if m := p.change_against.search(before):
            direction = t.meaning("direction", m.group("dir"))
            return Meaning("yoy_change", "%", before[: m.start()], qualifier=direction, against=int(m.group("y")))
        if m := p.share.search(before):
            whole = subject.parent
            if m.group("whole"):
                whole = whole_name(m.group("whole"), subject)
                if subject.parent and whole != subject.parent:
                    return None  # a share of something else than the subject's whole: not certain
            if not whole:
                return None
            return Meaning("share", "%", before[: m.start()], relative_to=whole)
        return None
    if tok.unit in MEASURE_UNITS["requests"]:
        return Meaning("requests", tok.unit, before, qualifier="约" if tok.approx else "")
    if tok.unit in COUNT_UNITS:
        m = re.match(rf"[\u4e00-\u9fff]{{0,12}}?(?P<head>{t.pattern('count')})", after)
        if m:
            return Meaning(t.meaning("count", m.group("head")), tok.unit, "")
    return None


def whole_name(phrase: str, subject: Subject) -> str:
    """The subject a share is "of" ("十六区承办总量的" → 十六区, "反映总量的" → the hotline), or "".

    >>> whole_name("十六区承办总量的", Subject("朝阳区", "district", "十六区"))
    '十六区'
    >>> whole_name("反映总量的", Subject("前二十类问题", "category_group", "12345热线"))
    '12345热线'
    """
    if subject.parent and subject.parent in phrase:
        return subject.parent
    return cues.table().first("whole", phrase) or ""


def read_clauses(
    col: Collector,
    section: str,
    sentence: Piece,
    detect: Detect,
    subject: Subject | None,
) -> Subject | None:
    """Read each clause's numbers for the subject most recently named (``detect``).

    A clause that names no subject of its own ("同比上升 N%", "共办理诉求 N 万件")
    speaks of the previous one, but only if nothing but filler words stand
    before the figure's cue: a figure after words the table does not know
    ("受理企业来电 N 万件") is left alone, to show up as unclaimed rather than be
    given to the wrong subject.

    >>> col = Collector(2024, report=True)
    >>> sentence = Piece.of_text(
    ...     "2024年1月1日0时至2024年12月31日24时，12345热线共受理群众反映5742.8万件，同比上升45.2%。"
    ... )
    >>> read_clauses(col, "overview", sentence, detect_overview, HOTLINE)
    Subject(name='12345热线', kind='hotline', parent='', qualifier='')
    >>> for fact in col.facts: print(fact.brief())
    12345热线 requests 5742.8 万件 2024
    12345热线 yoy_change 45.2 % 2024 上升
    """
    p = patterns()
    month: tuple[Piece, str] | None = None
    for clause in sentence.clauses():
        text = clause.text
        found = detect(masked_shares(text))
        named_at = 0
        if found is not None:
            subject, named_at = found
        if subject is None:
            counts(col, section, sentence, clause)
            continue
        if found is not None:
            month = None
        if m := MONTH_ONLY_RE.search(text):
            # "7 月受理量达到全年最高，为 N 万件": the figures that follow are that month's
            month = (clause.group(m, "m"), cues.table().first("peak", text) or "")
        last = named_at
        for tok in tokens(clause):
            start, stop = tok.start - clause.start, tok.stop - clause.start
            if start < named_at or col.is_claimed(tok.value):
                last = max(last, stop)
                continue
            if not tok.unit and text.startswith("年", stop):
                continue  # a year inside the words before a figure ("环比2019年上升"): part of its lead
            before, after = text[last:start], text[stop:]
            last = stop
            read = meaning(tok, before.removesuffix("约"), after, subject)
            if read is None:
                continue
            # a share may follow its subject's count after an enumeration comma ("N 万件、占比 M%")
            lead = read.lead.removeprefix("、") if read.measure == "share" else read.lead
            if not p.filler.fullmatch(YEAR_RE.sub("", lead)):
                # the period's or the bound's reason first: it holds whatever the subject
                if isinstance(unstated := col.period(sentence, tok.value), str):
                    col.decline(tok.place, unstated)
                elif bound := col.bound(sentence, tok.value):
                    col.decline(tok.place, f"a bound ({bound}), not a figure")
                col.decline(tok.place, f"no subject named: “{read.lead}” stands between {subject.name} and the figure")
                # the clause speaks of something the rules do not know: so do the clauses after it
                # ("供暖问题 N 万件，同比下降 M%"), until a subject is named again
                subject = None
                break
            if read.against is not None:
                period = col.period(sentence, tok.value)
                if isinstance(period, str) or period.value != str(read.against + 1):
                    col.decline(tok.place, f"a change against {read.against}, not against the year before its own")
                    continue
            if read.measure == "requests" and "约" not in read.qualifier and p.approx.search(read.lead):
                read = replace(read, qualifier=" ".join(q for q in (read.qualifier, "约") if q))  # "约为 N 万件"
            monthly = {}
            if month is not None:
                if read.measure != "requests":
                    col.decline(tok.place, "a change or share of one month: not read")
                    continue
                monthly = {"month": month[0], "qualifier": " ".join(q for q in (read.qualifier, month[1]) if q)}
            about = subject
            if read.measure == "topics" and subject != TOPICS:
                # a count of topics is the monthly-topic programme's, where the sentence names it
                if TOPICS.name not in sentence.text:
                    continue
                about = TOPICS
            col.add(
                section,
                about,
                read.measure,
                tok.value,
                read.unit,
                sentence,
                relative_to=read.relative_to,
                **({"qualifier": read.qualifier} | monthly),
            )
    return subject


#: A year in the words between a subject and its figure ("12345热线2019年受理诉求 N 万件"): the figure's
#: period (read by ``periods``), not a word that stands between.
YEAR_RE = re.compile(r"[0-9]{4} ?年度?")
#: What the topic programme counts: its topics, tasks, policies and measures (the cue table's ``count`` cues).
PROGRAMME_COUNTS = ("topics", "tasks", "policies", "measures")
#: The units they are counted in (个, 项, 条): a figure in one of them is a count of the word after it.
COUNT_UNITS = frozenset(unit for measure in PROGRAMME_COUNTS for unit in MEASURE_UNITS[measure])


def counts(col: Collector, section: str, sentence: Piece, clause: Piece) -> None:
    """A clause without a subject: its counts of topics, tasks, policies or measures are the topic
    programme's where the sentence names it before them ("“每月一题”17个问题共完成450项工作任务");
    every other figure is left unclaimed, no subject named.

    >>> sentence = Piece.of_text("2022年,围绕群众急难愁盼,全市“每月一题”17个问题共完成450项工作任务,出台105项政策。")
    >>> col = Collector(None)
    >>> for clause in sentence.clauses()[2:]: counts(col, "summary", sentence, clause)
    >>> for fact in col.facts: print(fact.brief())
    每月一题 topics 17 个 2022
    每月一题 tasks 450 项 2022
    每月一题 policies 105 项 2022
    """
    for tok in tokens(clause):
        if col.is_claimed(tok.value):
            continue
        before = sentence.text[: tok.start - sentence.start]
        read = meaning(tok, "", clause.stream.text[tok.stop : clause.end], TOPICS)
        if read is not None and read.measure in PROGRAMME_COUNTS and TOPICS.name in before:
            col.add(section, TOPICS, read.measure, tok.value, read.unit, sentence)
        else:
            col.decline(tok.place, "no subject named: its sentence names none the rules know before it")


def masked_shares(text: str) -> str:
    """The text with its share phrases ("占十六区…的 N%") blanked out, offsets kept:
    a whole named in a share is not the subject of the clause.

    >>> text = "其中街道乡镇共办理586.9万件，占十六区承办量的68.25%"
    >>> masked = masked_shares(text)
    >>> masked.rstrip("　"), len(masked) == len(text)
    ('其中街道乡镇共办理586.9万件，', True)
    """
    return patterns().share_phrase.sub(lambda m: "　" * len(m.group()), text)


def subject_cue(text: str, kinds: tuple[str, ...]) -> Found | None:
    """The last subject the cue table names in the text, of one of the kinds.

    >>> subject_cue("其中，诉求派单4431.3万件", ("disposition", "channel"))
    (Subject(name='诉求派单', kind='disposition', parent='12345热线', qualifier=''), 7)
    """
    t = cues.table()
    last = None
    for m in re.finditer(t.pattern("subject"), text):
        kind, name = t.meaning("subject", m.group()).split(" ", 1)
        if kind in kinds:
            last = (Subject(name, kind, HOTLINE.name if kind in ("disposition", "channel") else ""), m.end())
    return last


def values_after(col: Collector, piece: Piece, offset: int, count: int, unit: str) -> list[Token] | None:
    """The ``count`` numbers in ``unit`` that follow ``offset`` in the piece, joined only
    by "和", "、", "及" or "与" (a "分别为 A 和 B" list), or None if they are not there."""
    found = [tok for tok in tokens(piece) if tok.start - piece.start >= offset][:count]
    if len(found) != count or any(tok.unit != unit or col.is_claimed(tok.value) for tok in found):
        return None
    gaps = [piece.stream.text[a.stop : b.start] for a, b in itertools.pairwise(found)]
    if any(re.fullmatch(r" ?(?:和|、|及|与|，)? ?", gap) is None for gap in gaps):
        return None
    return found


# --- overview and summary ------------------------------------------------------------------


def detect_overview(text: str) -> Found | None:
    """The hotline, a channel or disposition, the top-N categories or a theme, named in the text.

    >>> detect_overview("2024年群众反映集中的前二十类问题共计4140.4万件")
    (Subject(name='前二十类问题', kind='category_group', parent='12345热线', qualifier=''), 18)
    >>> detect_overview("2022年，12345热线及其网络平台受理新型冠状病毒肺炎疫情问题6588.0万件")
    (Subject(name='新型冠状病毒肺炎疫情', kind='theme', parent='12345热线', qualifier=''), 33)
    """
    if found := subject_cue(text, ("disposition", "channel")):
        return found
    if m := re.search(rf"前([{CN_NUM}]+)类(?:日常)?问题", text):
        return Subject(f"前{m.group(1)}类问题", "category_group", HOTLINE.name), m.end()
    # the hotline or a theme: whichever is named last ("12345热线…受理X问题")
    named = [found for found in (subject_cue(text, ("hotline",)),) if found]
    if m := re.search(r"受理(?P<name>[\u4e00-\u9fff]{2,20}?)问题", text):
        named.append((Subject(m.group("name"), "theme", HOTLINE.name), m.end()))
    return max(named, key=lambda found: found[1], default=None)


def overview(col: Collector, section: str, text: Piece) -> None:
    for sentence in text.sentences():
        rates(col, section, sentence)
        paired_shares(col, section, sentence, detect_overview)
        share_trend(col, section, sentence)
        monthly_series(col, section, sentence, detect_overview)
        doubling(col, section, sentence)
        multiples(col, section, sentence, "theme")
        # in a report that states its own reporting period the hotline speaks of itself; elsewhere it must be named
        read_clauses(col, section, sentence, detect_overview, HOTLINE if col.report else None)


def rates(col: Collector, section: str, sentence: Piece) -> None:
    """ "诉求解决率、满意率分别提升至 N%和 N%", "解决率为 N%".

    >>> col = Collector(2024, report=True)
    >>> rates(col, "summary", Piece.of_text("2024年诉求解决率、群众满意率进一步提升，分别达到29.0%和20.3%。"))
    >>> for fact in col.facts: print(fact.brief())
    12345热线 resolution_rate 29.0 % 2024
    12345热线 satisfaction_rate 20.3 % 2024
    """
    table = cues.table()
    for m in patterns().rate_names.finditer(sentence.text):
        names = re.findall(table.pattern("rate"), m.group())
        lead = sentence.text[: m.start()]
        own = lead[periods.clause_start(lead, len(lead)) :]  # the rates' own clause
        if other := next((c for c in table.cues("other_rate") if c in m.group()), None):
            for tok in tokens(sentence.sub(m.end(), len(sentence.text)))[: len(names)]:
                col.decline(tok.place, f"{table.meaning('other_rate', other)}: not a rate of the facts table")
            continue
        named = detect_overview(masked_shares(lead + m.group()))
        if stray := rate_words_left(own + m.group()):
            for tok in tokens(sentence.sub(m.end(), len(sentence.text)))[: len(names)]:
                col.decline(tok.place, f"the rates' clause names “{stray}”: not the hotline's rates")
            continue  # the rates of another subject (a channel, a body, a problem …): not the hotline's
        if patterns().district_anywhere.search(lead):
            continue
        if named is None and not col.report:
            for tok in tokens(sentence.sub(m.end(), len(sentence.text))):
                col.decline(tok.place, "no subject named: the rates' sentence does not name the hotline")
            continue
        following = [tok for tok in tokens(sentence) if tok.start - sentence.start >= m.end()]
        if not following:
            continue
        # the figures follow the names with no other figure, change or share between
        gap = sentence.text[m.end() : following[0].start - sentence.start]
        if len(gap) > 20 or re.search(rf"[0-9]|{table.pattern('base')}|{table.pattern('share')}", gap):
            continue
        values = values_after(col, sentence, m.end(), len(names), "%")
        if values is None:
            continue
        for name, tok in zip(names, values, strict=True):
            col.add(section, HOTLINE, table.meaning("rate", name), tok.value, "%", sentence)


def rate_words_left(clause: str) -> str:
    """What is left of a rates clause ("2024年12345热线诉求解决率、群众满意率") once its years, the
    hotline's names, rate names, filler and ``rate_word`` cues are taken out: "" for the hotline's rates.

    >>> rate_words_left("2024年诉求解决率、群众满意率")
    ''
    """
    t = cues.table()
    hotline = [c for c in t.cues("subject") if t.meaning("subject", c).startswith("hotline ")]
    left = YEAR_RE.sub("", clause)
    for role_cues in (hotline, t.cues("rate"), t.cues("rate_word"), t.cues("filler")):
        for cue in sorted(role_cues, key=len, reverse=True):
            left = left.replace(cue, "")
    return re.sub(r"[、和及与 ]", "", left)


def paired_shares(col: Collector, section: str, sentence: Piece, detect: Detect) -> None:
    """ "电话渠道…，网络渠道…，两者所占比例分别为 N% 和 N%": shares of the subjects
    named before, in the order they were named."""
    named: list[Subject] = []
    for clause in sentence.clauses():
        m = re.search(rf"(?:{cues.table().pattern('share')})分别(?:为|是|达到)?(?=[0-9])", clause.text)
        if m is None:
            if (found := detect(masked_shares(clause.text))) and found[0] not in named:
                named.append(found[0])
            continue
        shares = [tok for tok in tokens(clause) if tok.start - clause.start >= m.end() and tok.unit == "%"]
        values = values_after(col, clause, m.end(), len(shares), "%")
        if values is None or len(values) < 2 or len(named) < len(values):
            continue
        for subject, tok in zip(named[-len(values) :], values, strict=True):
            col.add(section, subject, "share", tok.value, "%", sentence, relative_to=subject.parent)


def share_trend(col: Collector, section: str, sentence: Piece) -> None:
    """ "网络渠道受理量占比…，由 YYYY 年的 N%提升至 YYYY 年的 N%".

    >>> col = Collector(2022, report=True)
    >>> sentence = Piece.of_text("网络渠道受理量占比快速上升，由2021年的43.19%提升至2022年的88.68%，首次超越电话渠道。")
    >>> share_trend(col, "overview", sentence)
    >>> for fact in col.facts: print(fact.brief())
    网络渠道 share 43.19 % 2021 relative_to 12345热线
    网络渠道 share 88.68 % 2022 relative_to 12345热线
    """
    for m in patterns().share_trend.finditer(sentence.text):
        found = detect_overview(m.group("name"))
        if found is None:
            continue
        subject = found[0]
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


#: A month, not a date ("7 月", not "1 月 1 日"; not "6 月至 8 月").
MONTH_ONLY_RE = re.compile(r"(?<![0-9至到])(?P<m>\d{1,2})月份?(?![0-9]|至|到|起|以)")
MONTH_VALUE_RE = re.compile(rf"(?P<m>\d{{1,2}})月份?的(?P<v>{NUMBER}) ?(?P<unit>万件|万|件)")


def monthly_series(col: Collector, section: str, sentence: Piece, detect: Detect) -> None:
    """ "单月受理量从 M 月份的 N 万提升至全年最高点 M 月份的 N 万，提升约八倍": the
    monthly counts of the subject named before "单月" (the hotline if none), and its
    growth from the first month to the last as a multiple.

    >>> col = Collector(2022, report=True)
    >>> sentence = Piece.of_text("单月受理量从1月份的420.7万提升至全年最高点10月份的4004.7万，单月受理量提升约八倍。")
    >>> monthly_series(col, "overview", sentence, detect_overview)
    >>> for fact in col.facts: print(fact.brief())
    12345热线 requests 420.7 万件 2022-01
    12345热线 requests 4004.7 万件 2022-10 最高
    12345热线 growth_multiple 八 倍 2022-10 约 relative_to 2022-01
    """
    series = patterns().series.search(sentence.text)
    if not series:
        return
    name = re.sub(r"^.*[，；：、]", "", series.group("name"))
    subject = HOTLINE
    if name:
        # "12345热线单月受理量": the name may end a longer one ("12345热线"), which is the hotline
        found = detect(sentence.text[: series.start("name")] + name) if detect is detect_overview else None
        found = found if found and found[1] == series.start("name") + len(name) else detect(name)
        subject = found[0] if found else Subject(name, "theme", HOTLINE.name)
    periods = []
    last = series.end()
    for m in MONTH_VALUE_RE.finditer(sentence.text, series.end()):
        peak = cues.table().first("peak", sentence.text[last : m.start()]) or ""
        last = m.end()
        value, month = sentence.group(m, "v"), sentence.group(m, "m")
        unit = "万件" if m.group("unit") == "万" else m.group("unit")
        if fact := col.add(section, subject, "requests", value, unit, sentence, month=month, qualifier=peak):
            periods.append(fact.period)
    span = {"period": periods[-1], "relative_to": periods[0]} if len(periods) > 1 else {}
    direction = cues.table().pattern("direction")
    for tok in tokens(sentence.sub(last, len(sentence.text))):
        lead = sentence.stream.text[sentence.start : tok.start]
        if tok.unit == "倍" and not col.is_claimed(tok.value) and re.search(rf"(?:{direction}|实现|达到)约?$", lead):
            qualifier = "约" if tok.approx else ""
            col.add(section, subject, "growth_multiple", tok.value, "倍", sentence, qualifier=qualifier, **span)


def doubling(col: Collector, section: str, sentence: Piece) -> None:
    """ "受理企业来电同比、环比均实现翻倍增长": a doubling, against each base named.

    >>> col = Collector(2024, report=True)
    >>> sentence = Piece.of_text(
    ...     "推出在线专业咨询、增值服务等13条具体措施，优化提升为企服务能力，"
    ...     "5月正式推广后，受理企业来电同比、环比均实现翻倍增长。"
    ... )
    >>> doubling(col, "overview", sentence)
    >>> for fact in col.facts: print(fact.brief())
    企业来电 growth_multiple 翻倍 倍 2024 同比
    企业来电 growth_multiple 翻倍 倍 2024 环比
    """
    table = cues.table()
    for m in patterns().doubling.finditer(sentence.text):
        subject = Subject(m.group("name"), "theme", HOTLINE.name)
        word = sentence.group(m, "word")
        for base in re.findall(table.pattern("base"), m.group("bases")):
            col.add(
                section,
                subject,
                "growth_multiple",
                word.text,
                "倍",
                sentence,
                place=word,
                qualifier=table.meaning("base", base),
            )


# --- top-ten categories --------------------------------------------------------------------


def category(col: Collector, section: str, text: Piece, title: str) -> None:
    """One category: its total and change, its listed subcategories, its monthly peaks."""
    cat = Subject(title, "category", HOTLINE.name)
    known: list[str] = [title]
    for sentence in text.sentences():
        head = patterns().category.match(sentence.text)
        if head:
            if head.group("name") != title:
                col.warn(
                    sentence.line,
                    f"category “{head.group('name')}” under the heading “{title}”; the heading's name is used",
                )
            known += subcategories(col, section, sentence, cat)
            read_clauses(col, section, sentence, lambda t: named_category(t, cat), cat)
        else:
            monthly_peaks(col, section, sentence, cat, known)


def named_category(text: str, cat: Subject) -> Found | None:
    """ "市场管理类问题 N 万件": the category of the section, at the start of its first sentence.

    >>> named_category("市场管理类问题778.5万件", Subject("市场管理", "category", "12345热线"))
    (Subject(name='市场管理', kind='category', parent='12345热线', qualifier=''), 7)
    """
    m = patterns().category.match(text)
    return (cat, m.end()) if m else None


def subcategories(col: Collector, section: str, sentence: Piece, cat: Subject) -> list[str]:
    """ "主要反映网络交易（N 万件）、市场环境秩序（N 万件）…等问题".

    >>> col = Collector(2024, report=True)
    >>> sentence = Piece.of_text(
    ...     "文体市场管理类问题447.8万件，同比上升442.7%，主要反映文化市场（446.3万件）、"
    ...     "体育市场（0.8万件）、广播电视（0.7万件）、科技（0.1万件）等问题。"
    ... )
    >>> subcategories(col, "categories", sentence, Subject("文体市场管理", "category", "12345热线"))
    ['文化市场', '体育市场', '广播电视', '科技']
    >>> for fact in col.facts: print(fact.brief())
    文体市场管理/文化市场 requests 446.3 万件 2024
    文体市场管理/体育市场 requests 0.8 万件 2024
    文体市场管理/广播电视 requests 0.7 万件 2024
    文体市场管理/科技 requests 0.1 万件 2024
    """
    names = []
    p = patterns()
    for m in p.subcategory_list.finditer(sentence.text):
        items = sentence.group(m, "list")
        for item in p.subcategory_item.finditer(items.text):
            name = item.group("name").strip().lstrip("和及与")
            names.append(name)
            col.add(
                section,
                Subject(f"{cat.name}/{name}", "subcategory", cat.name),
                "requests",
                items.group(item, "v"),
                "万件",
                sentence,
                qualifier="约" if item.group("approx") else "",
            )
    return names


NAMED_ISSUE_RE = re.compile(r"^(?:其中)?(?!其他)(?P<name>[\u4e00-\u9fff]{2,12}?)(?:类|相关)?问题")
MONTH_RE = re.compile(r"(?P<m>\d{1,2})月")


def monthly_peaks(col: Collector, section: str, sentence: Piece, cat: Subject, known: list[str]) -> None:
    """ "从各月受理量看，小区配套问题…在 M 月份达到年度最高，为 N 万件"; also the
    "分别为" forms, pairing several months or several subjects with the values.

    >>> col = Collector(2022, report=True)
    >>> sentence = Piece.of_text(
    ...     "从各月受理量看，小区配套问题整体波动较大，在8月份达到年度最高，为2.6万件，"
    ...     "房屋修缮类问题6月至9月反映较为集中。"
    ... )
    >>> monthly_peaks(col, "categories", sentence, Subject("住房", "category", "12345热线"), ["住房", "小区配套"])
    >>> for fact in col.facts: print(fact.brief())
    住房/小区配套 requests 2.6 万件 2022-08 最高
    """
    subjects: list[Subject] = []
    months: list[Piece] = []
    peak = ""
    by_length = sorted(known, key=len, reverse=True)
    table = cues.table()
    for clause in sentence.clauses():
        named = names_in(clause.text, by_length)
        if not named and (m := NAMED_ISSUE_RE.match(clause.text)):
            named = [m.group("name")]
            if named[0] not in known:
                col.warn(clause.line, f"“{named[0]}” is not a listed subcategory of {cat.name}")
        if named:
            subjects = [cat if n == cat.name else Subject(f"{cat.name}/{n}", "subcategory", cat.name) for n in named]
        if found_peak := table.first("peak", clause.text):
            found = [clause.group(m, "m") for m in MONTH_RE.finditer(clause.text)]
            if found:
                months = found
                peak = found_peak
        if (against := patterns().against_month.match(clause.text)) and len(subjects) == 1 and len(months) == 1:
            year = col.year_at(sentence, months[0], monthly=True)
            for tok in tokens(clause):
                if tok.unit == "倍" and not col.is_claimed(tok.value) and tok.start - clause.start == against.end():
                    if isinstance(year, str):
                        col.decline(tok.place, year)
                        continue
                    base = f"{year[0]}-{int(against.group('m')):02d}"
                    period = f"{year[0]}-{int(months[0].text):02d}"
                    col.add(
                        section,
                        subjects[0],
                        "growth_multiple",
                        tok.value,
                        "倍",
                        sentence,
                        period=period,
                        relative_to=base,
                        also=[clause.group(against, "m")],
                    )
        v = re.match(r"^(?:分别)?(?:为|达到|是)", clause.text)
        if not v:
            continue
        values = values_after(col, clause, v.end(), len(tokens(clause)), "万件")
        if not values or v.end() != values[0].start - clause.start:
            continue
        pairs: list[tuple[Subject, Piece, Token]] = []
        if len(subjects) == 1 and len(months) == len(values):
            pairs = [(subjects[0], mo, va) for mo, va in zip(months, values, strict=True)]
        elif len(months) == 1 and len(subjects) == len(values):
            pairs = [(su, months[0], va) for su, va in zip(subjects, values, strict=True)]
        if not pairs:
            col.warn(clause.line, f"cannot pair the monthly figures in “{clause.text}” with subjects and months")
        for subject, month, value in pairs:
            col.add(section, subject, "requests", value.value, "万件", sentence, month=month, qualifier=peak)


def names_in(text: str, names_by_length: list[str]) -> list[str]:
    """Known names occurring in the text, in the order they occur (longest name wins).

    >>> names_in("互联网约车和违章处理问题反映量逐渐上升", ["违章处理", "互联网约车"])
    ['互联网约车', '违章处理']
    """
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for name in names_by_length:
        for m in re.finditer(re.escape(name), text):
            if all(m.end() <= a or m.start() >= b for a, b in taken):
                taken.append((m.start(), m.end()))
                found.append((m.start(), name))
    return [name for _, name in sorted(found)]


# --- trends --------------------------------------------------------------------------------

THEME_RE = re.compile(r"^(?:其中)?(?P<name>[\u4e00-\u9fff]{2,10}?)(?:类问题|问题|反映量|相关反映)")


def multiples(col: Collector, section: str, sentence: Piece, kind: str) -> None:
    """ "旅游、演出票务问题反映量增幅分别达到 N 倍和 N 倍", "X 问题反映量同比翻倍":
    growth multiples of the things named before them.

    >>> col = Collector(2024, report=True)
    >>> multiples(col, "trends", Piece.of_text("其中旅游、文体市场消费反映量增幅分别达到2.9倍和1.2倍，"), "category")
    >>> for fact in col.facts: print(fact.brief())
    旅游 growth_multiple 2.9 倍 2024
    文体市场 growth_multiple 1.2 倍 2024
    """
    table = cues.table()
    found = [tok for tok in tokens(sentence) if tok.unit == "倍" and not col.is_claimed(tok.value)]
    i = 0
    while i < len(found):
        tok = found[i]
        lead = sentence.stream.text[sentence.start : tok.start]
        m = patterns().multiple.search(lead)
        if not m or not m.group("what"):
            i += 1
            continue
        names = [n.removesuffix("问题").removesuffix("类") for n in re.split("[、和]", m.group("names")) if n]
        values = values_after(col, sentence, tok.start - sentence.start, len(names), "倍")
        if values is None:
            i += 1
            continue
        base = table.meaning("base", m.group("base")) if m.group("base") else ""
        for name, value in zip(names, values, strict=True):
            subject = Subject(name, kind, HOTLINE.name)
            qualifier = " ".join(q for q in (base, "约" if value.approx else "") if q)
            col.add(section, subject, "growth_multiple", value.value, "倍", sentence, qualifier=qualifier)
        i += len(values)


def trends(col: Collector, section: str, text: Piece) -> None:
    """Growth multiples, monthly series and figures of themes named at a clause's start."""
    for sentence in text.sentences():
        monthly_series(col, section, sentence, detect_theme)
        multiples(col, section, sentence, "category")
        read_clauses(col, section, sentence, detect_theme, None)


def detect_theme(text: str) -> Found | None:
    """A theme named at the start of a clause: "消防安全反映量…", "公园管理类问题…".

    >>> detect_theme("其中消防安全反映量上升较为明显")
    (Subject(name='消防安全', kind='theme', parent='12345热线', qualifier=''), 9)
    """
    if m := THEME_RE.match(text):
        return Subject(m.group("name"), "theme", HOTLINE.name), m.end()
    return None


# --- handling: districts, city departments, state-owned enterprises, monthly topics ------------


def detect_district(parent: str) -> Detect:
    """Subjects of the district sentences; ``parent`` is the district of the
    paragraph, or 十六区 in the introduction."""
    group = Subject(SIXTEEN, "district_group")
    # the district whose parts "区级部门 / 街道乡镇" are: the paragraph's, or the last one named
    state = {"whole": group if parent == SIXTEEN else Subject(parent, "district", SIXTEEN)}

    def detect(text: str) -> Found | None:
        if found := ranked_subject(text, "district", SIXTEEN):
            return found
        if m := patterns().level.match(text):
            kind, name = cues.table().meaning("subject", m.group("cue")).split(" ", 1)
            if kind == "level":
                return state["whole"].part(name), m.end()
            if kind == "district_group":
                state["whole"] = group
                return group, m.end()
        if parent != SIXTEEN and (m := re.match(rf"^(?:其中)?{re.escape(parent)}", text)):
            return state["whole"], m.end()
        if found := subject_cue(text, ("district_group",)):
            state["whole"] = group
            return found
        if m := patterns().ranked_after.match(text):
            # "朝阳区派单量居首": the rank after the name
            state["whole"] = Subject(m.group("d"), "district", SIXTEEN)
            return Subject(m.group("d"), "district", SIXTEEN, cues.table().meaning("rank", m.group("q"))), m.end()
        if m := patterns().district_named.match(text):
            state["whole"] = Subject(m.group("d"), "district", SIXTEEN)
            return state["whole"], m.end("d")
        return None

    return detect


def ranked_subject(text: str, kind: str, parent: str) -> Found | None:
    """A ranked body or district: "最多的是 X", "第二是 X", "排在第 3 位的是 X".

    >>> ranked_subject("承办量最多的是朝阳区", "district", "十六区")
    (Subject(name='朝阳区', kind='district', parent='十六区', qualifier='最多'), 10)
    >>> ranked_subject("其次是经开区管委会", "city_department", "")
    (Subject(name='经开区管委会', kind='city_department', parent='', qualifier='其次'), 9)
    """
    if m := patterns().rank.search(text):
        rank = rank_of(m)
        if rank:
            return Subject(m.group("name"), kind, parent, rank), m.end()
    return None


def districts(col: Collector, section: str, text: Piece, district: str | None) -> None:
    parent = district or SIXTEEN
    start = Subject(district, "district", SIXTEEN) if district else None
    for sentence in text.sentences():
        rank_digits(col, sentence)
        read_clauses(col, section, sentence, detect_district(parent), start)


def rank_digits(col: Collector, sentence: Piece) -> None:
    """The digit of "排在第 3 位" is a rank, not a figure."""
    for m in patterns().rank.finditer(sentence.text):
        if m.group("n"):
            col.not_a_fact(sentence.group(m, "n"), "rank")


def handlers(kind: str) -> Callable[[Collector, str, Piece], None]:
    """City departments and state-owned enterprises: "最多的是 X，共办理诉求 N 万件；其次是 Y…".

    >>> col = Collector(2022, report=True)
    >>> text = Piece.of_text(
    ...     "从各市属机构承办情况来看，2022年市属机构承办量最多的是大数据中心，共办理诉求68.5万件；"
    ...     "其次是经开区管委会，共办理诉求53.9万件。"
    ... )
    >>> handlers("city_department")(col, "city_departments", text)
    >>> for fact in col.facts: print(fact.brief())
    大数据中心 requests 68.5 万件 2022 最多
    经开区管委会 requests 53.9 万件 2022 其次
    """

    def read(col: Collector, section: str, text: Piece) -> None:
        for sentence in text.sentences():
            rank_digits(col, sentence)
            read_clauses(col, section, sentence, lambda t: ranked_subject(t, kind, ""), None)

    return read


def topics_intro(col: Collector, section: str, text: Piece) -> None:
    """ "“每月一题”聚焦…等 N 个高频难点民生问题，完成了 N 项任务…共涉及诉求 N 万件".

    >>> col = Collector(2024, report=True)
    >>> text = Piece.of_text(
    ...     "2024年“每月一题”聚焦电动自行车充电设施、小区周边公共停车资源有偿错时共享、校园周边交通综合治理"
    ...     "等13个高频难点民生问题，完成了605项任务，出台了437项政策，办成了一大批民生实事，共涉及诉求29.6万件。"
    ... )
    >>> topics_intro(col, "monthly_topics", text)
    >>> for fact in col.facts: print(fact.brief())
    每月一题 topics 13 个 2024
    每月一题 tasks 605 项 2024
    每月一题 policies 437 项 2024
    每月一题 requests 29.6 万件 2024
    """
    for sentence in text.sentences():
        read_clauses(col, section, sentence, lambda _t: None, TOPICS)


def handling_intro(col: Collector, section: str, text: Piece) -> None:
    """ "YYYY 年 12345 热线派单处理的 N 万件诉求，由区级部门…办理".

    >>> col = Collector(2022, report=True)
    >>> text = Piece.of_text(
    ...     "2022年12345热线派单处理的116.8万件诉求，由区级部门、街道乡镇、市属机构、国有企业等单位办理。"
    ... )
    >>> handling_intro(col, "handling", text)
    >>> for fact in col.facts: print(fact.brief())
    诉求派单 requests 116.8 万件 2022
    """
    for sentence in text.sentences():
        read_clauses(col, section, sentence, detect_overview, None)
