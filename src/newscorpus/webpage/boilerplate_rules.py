"""Fallback boilerplate rules: the common in-body prompts of news sites, in many languages.

Learning from line frequency (``boilerplate.py``) needs several pages of a site; these
rules catch the usual lines on a site's first pages. They only judge short lines, and
only phrasings that are prompts ("Read also:", "Subscribe to our channel"), never a word
that news text could use ("subscribers", "shared").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from newscorpus.webpage.visible_metadata import squeezed

MAX_RULE_CHARS = 200  # a longer paragraph is text, whatever it mentions

# A line that starts with one of these labels, then a separator or nothing: "Voir aussi : …".
_SEE_ALSO_LABELS = [
    # en
    r"see also",
    r"read also",
    r"also read",
    r"read more",
    r"related(?: articles?| stories"
    r"| coverage| news| content)?",
    r"more on this(?: story| topic)?",
    r"recommended(?: for you)?",
    r"you may also like",
    r"more",
    r"don'?t miss",
    r"must read",
    r"watch",
    # fr
    r"voir aussi",
    r"lire aussi",
    r"[àa] lire aussi",
    r"[àa] voir aussi",
    r"lire la suite",
    r"sur le m[êe]me sujet",
    r"[àa] lire [ée]galement",
    r"lire [ée]galement",
    r"voir [ée]galement",
    r"[àa] d[ée]couvrir aussi",
    r"en savoir plus",
    # de
    r"siehe auch",
    r"lesen sie auch",
    r"lesen sie mehr",
    r"mehr zum thema",
    r"auch interessant",
    r"weiterlesen",
    r"das k[öo]nnte sie auch interessieren",
    r"zum thema",
    r"[äa]hnliche(?: artikel)?",
    # nb, nn, da, sv, fi
    r"les ogs[åa]",
    r"les mer",
    r"l[æa]s ogs[åa]",
    r"l[æa]s mere",
    r"l[äa]s [äo]ven",
    r"l[äa]s ocks[åa]",
    r"l[äa]s mer",
    r"lue my[öo]s",
    r"weitere artikel",
    r"mehr themen(?: auf [^:]{1,40})?",
    # es, it, pt, nl, pl, tr
    r"ver tambi[ée]n",
    r"vea tambi[ée]n",
    r"lea tambi[ée]n",
    r"lee tambi[ée]n",
    r"leer m[áa]s",
    r"(?:tambi[ée]n )?te puede interesar",
    r"m[áa]s informaci[óo]n",
    r"noticias? relacionadas?",
    r"leggi anche",
    r"vedi anche",
    r"potrebbe interessarti",
    r"leggi di pi[ùu]",
    r"approfondisci",
    r"leia tamb[ée]m",
    r"veja tamb[ée]m",
    r"saiba mais",
    r"leia mais",
    r"lees ook",
    r"zie ook",
    r"lees meer",
    r"meer lezen",
    r"czytaj tak[żz]e",
    r"czytaj te[żz]",
    r"zobacz te[żz]",
    r"zobacz tak[żz]e",
    r"czytaj wi[ęe]cej",
    r"ayr[ıi]ca (?:okuyun|bak[ıi]n[ıi]z)",
    r"ilgili haberler?",
    r"devam[ıi]n[ıi] oku",
    # ru, uk, bg, sr
    r"читайте также",
    r"смотрите также",
    r"читать далее",
    r"подробнее",
    r"по теме",
    r"читайте також",
    r"дивіться також",
    r"читати далі",
    r"детальніше",
    r"прочетете още",
    r"вижте още",
    r"прочитајте још",
    # ar, fa, he
    r"[اإ]قرأ أيض(?:اً|ًا|ا)",
    r"شاهد أيض(?:اً|ًا|ا)",
    r"[اإ]قرأ المزيد",
    r"مواضيع ذات صلة",
    r"اخبار ذات صلة",
    r"أخبار ذات صلة",
    r"بیشتر بخوانید",
    r"همچنین بخوانید",
    r"קראו גם",
    r"כתבות נוספות",
    # zh, ja, ko, hi, th, vi, id
    r"相关阅读",
    r"延伸阅读",
    r"相关新闻",
    r"推荐阅读",
    r"相关报道",
    r"阅读更多",
    r"另见",
    r"另请参阅",
    r"参见",
    r"阅读全文",
    r"相關閱讀",
    r"延伸閱讀",
    r"關聯閱讀",
    r"関連記事",
    r"あわせて読みたい",
    r"こちらもおすすめ",
    r"続きを読む",
    r"관련\s?기사",
    r"함께 보기",
    r"추천 기사",
    r"यह भी पढ़ें",
    r"ये भी पढ़ें",
    r"और पढ़ें",
    r"इसे भी पढ़ें",
    r"อ่านเพิ่มเติม",
    r"ข่าวที่เกี่ยวข้อง",
    r"xem thêm",
    r"đọc thêm",
    r"tin liên quan",
    r"baca juga",
    r"berita terkait",
]
_SEE_ALSO = re.compile(
    r"^[\W_]*(?:" + "|".join(_SEE_ALSO_LABELS) + r")(?:\s*[:：»›>|…]|\s+[-–—]|\s*$)",
    re.IGNORECASE,
)
# The label alone, as the heading of a list of links to other stories.
_SEE_ALSO_HEADING = re.compile(
    r"^[\W_]*(?:" + "|".join(_SEE_ALSO_LABELS) + r")[\s:：»›>|…]*$", re.IGNORECASE
)
# An item of a list, as extraction writes it ("- Baloncesto Daniel Aragón").
_LIST_ITEM = re.compile(r"^\s*[-–•·*]\s")

# Prompts to subscribe, follow or sign up: imperative phrasings that address the reader,
# anywhere in a short line. Not the words alone: "two million households subscribe to the
# service" and "the newsletter, founded in 2019" are news.
_SUBSCRIBE = re.compile(
    "|".join(
        [
            r"\bsubscribe (?:now|here|today)\b", r"\bsubscribe to our\b",
            r"\bsign up (?:for|to) our\b",
            r"\bour (?:\w+ )?newsletters?\b", r"^[•·▶►>*]?\s*follow us\b", r"\bfollow us on\b",
            r"\bjoin our (?:channel|telegram|whatsapp)", r"\bdownload our app\b",
            r"\bturn on notifications\b", r"\bmake sure to subscribe\b",
            r"\babonnez[- ]vous\b", r"\bvous abonner à nos\b", r"\bsuivez[- ]nous\b",
            r"\bnotre (?:newsletter|lettre d'information)", r"\binscrivez[- ]vous à notre\b",
            r"\babonnieren sie unsere\b", r"\bjetzt\b.{0,40}\babonnieren\b",
            r"\bmelden sie sich\b.{0,50}\bnewsletter", r"^\W*abonnieren sie\b",
            r"\bunseren? (?:\w+ )?(?:\w+-)?newsletter",
            r"\bfolgen sie uns\b", r"\bsuscr[íi]bete\b", r"\bsuscr[íi]base\b", r"\bs[íi]guenos\b",
            r"\bnuestro bolet[íi]n\b", r"\biscriviti alla\b", r"\bseguici su\b",
            r"\binscreva-se\b", r"\bsiga-nos\b", r"\bvolg ons\b", r"\babonneer je\b",
            r"\bzapisz si[ęe] na (?:nasz|newsletter)", r"\bobserwuj nas\b", r"\bsubskrybuj nasz",
            r"\babone olun\b", r"\bbizi takip edin\b",
            r"подписывайтесь на наш", r"подпишитесь на наш", r"наш телеграм",
            r"підписуйтеся на наш", r"підписуйтесь на наш", r"підпишіться на наш",
            r"наш телеграм", r"абонирайте се",
            r"^\W*اشترك(?:وا)? في", r"الاشتراك في قنواتنا", r"تابعونا على", r"تابعنا على",
            r"نشرتنا", r"اشترک کنید",
            r"欢迎订阅", r"订阅我们的", r"关注我们的", r"扫码关注", r"关注.{0,12}公众号",
            r"訂閱我們",
            r"關注我們", r"チャンネル登録", r"フォローしてください", r"購読はこちら",
            r"会員登録(?:はこちら|すると|して)", r"구독하세요", r"구독하시면", r"구독해 주세요",
            r"구독 신청", r"구독과 좋아요", r"팔로우하세요", r"기사제보",
            r"सब्सक्राइब करें", r"हमें फॉलो करें", r"ติดตามเรา", r"đăng ký kênh",
            r"theo dõi chúng tôi", r"ikuti kami",
            r"ctrl\s*\+\s*enter",  # "found a typo? select it and press Ctrl+Enter"
            r"\bsend us (?:a|your) (?:tip|news tip)",
            r"有料会員に(?:なると|登録)", r"会員限定の?(?:有料)?記事", r"読み放題",
            r"\bs[óo]lo para suscriptores\b", r"\bexclusiv[oa] para suscriptores\b",
            r"\bnur f[üu]r abonnenten\b", r"\bfor subscribers only\b", r"\bsubscribers only\b",
            r"\br[ée]serv[ée] aux abonn[ée]s\b", r"\bclick here to (?:get|download) the\b",
        ]
    ),
    re.IGNORECASE,
)  # fmt: skip

_SHARE_WORDS = (
    r"share(?: this(?: article| story| page)?| on| via)?|partager(?: cet article| sur)?|partagez"
    r"|(?:diesen )?artikel teilen|teilen|compartir(?: este art[íi]culo| esta noticia| en)?"
    r"|comparte|condividi(?: questo articolo| su)?|compartilhe|compartilhar|delen|deel dit artikel"
    r"|udost[ęe]pnij|payla[şs]|поделиться(?: статьей| статьёй| новостью)?"
    r"|поділитися(?: статтею| новиною)?|споделете|شارك(?: هذا المقال| هذا الخبر)?|مشاركة"
    r"|اشتراک|分享(?:本文|此文|到)?|(?:この記事を)?(?:共有する|共有|シェアする|シェア)|공유하기|공유"
    r"|शेयर करें"
    r"|แชร์|chia s[ẻe]|bagikan"
)
_NETWORKS = (
    r"facebook|twitter|x|whatsapp|telegram|linkedin|e-?mail|pinterest|reddit|vk|ok|messenger"
    r"|weibo|wechat|line|kakaotalk|copy link|print|imprimer|drucken|flipboard|threads|bluesky"
    r"|微博|微信"
)
MAX_SHARE_CHARS = 100
# "Share", alone or followed by networks; or "Share:" followed by anything short (the
# networks' names in any script: "Поделиться: ВКонтакте | Telegram", "分享到：微信 微博").
_SHARE = re.compile(
    rf"^[\W_]*(?:{_SHARE_WORDS})\b[\W_]*(?:(?:{_NETWORKS})\b[\W_]*)*$"
    rf"|^[\W_]*(?:(?:{_NETWORKS})\b[\W_]*){{2,}}$"
    rf"|^[\W_]*(?:{_SHARE_WORDS})\s*[:：]\s*.{{0,{MAX_SHARE_CHARS}}}$",
    re.IGNORECASE,
)

# A copyright notice: the sign or word with a year, or a line that starts with the sign;
# or "all rights reserved" in some language. "The court ruled that the copyright belonged
# to..." is news.
_COPYRIGHT = re.compile(
    "|".join(
        [
            r"^\W*©[^.!?]{0,60}$", r"©\s*(?:19|20)\d\d", r"\(c\)\s*(?:19|20)\d\d",
            r"copyright\s*(?:©|\(c\)|(?:19|20)\d\d)",
            r"all rights reserved", r"tous droits r[ée]serv[ée]s", r"alle rechte vorbehalten",
            r"todos los derechos reservados", r"tutti i diritti riservati",
            r"todos os direitos reservados", r"alle rechten voorbehouden",
            r"wszelkie prawa zastrze[żz]one", r"t[üu]m haklar[ıi] sakl[ıi]d[ıi]r",
            r"все права защищены", r"усі права захищені", r"всі права захищені",
            r"всички права запазени", r"сва права задржана", r"جميع الحقوق محفوظة",
            r"کلیه حقوق", r"版权所有", r"版权声明", r"未经授权不得转载", r"禁止转载", r"転載を禁じ",
            r"版權所有", r"無断転載", r"무단\s?전재", r"सर्वाधिकार सुरक्षित", r"สงวนลิขสิทธิ์",
            r"bản quyền thuộc về", r"hak cipta dilindungi",
        ]
    ),
    re.IGNORECASE,
)  # fmt: skip

# A picture's credit left between paragraphs: "STR/AFP via Getty Images", "Foto: dpa",
# "Bild: SN/APA/KEYSTONE". Only a short line that is nothing but the credit.
MAX_CREDIT_CHARS = 100
_CREDIT = re.compile(
    "|".join(
        [
            r"^\W*(?:fotos?|photos?|bild(?:er)?|bildquelle|image|picture|credits?|photo credit"
            r"|crédits? photo|fotograf[íi]a|imagen|immagine|zdj[ęe]cie|фото)\s*(?::|©)",
            r"(?:getty ?images|shutterstock|imago(?: images)?|picture[- ]alliance|istock(?:photo)?"
            r"|alamy(?: stock photo)?)\W*$",
            r"^[^.!?]{0,60}/\s*(?:afp|dpa|reuters|ap|epa|anp|apa|keystone|ansa)\W*$",
            r"^\W*(?:quellen?|source)\s*:\s*[^.!?]{0,40}$",
            r"^\W*\(?(?:photos?|pictures?|images?|illustrations?) by\b",
        ]
    ),
    re.IGNORECASE,
)  # fmt: skip

# The comment section's prompts and the notes of a developing story, not its text.
_COMMENTS = re.compile(
    "|".join(
        [
            r"^\W*(?:comments?|kommentare?|commentaires?|comentarios?|commenti|reacties)\W*$",
            r"\bjoin (?:our|the) (?:commenting|conversation|discussion)",
            r"\bjoin thought-provoking conversations\b", r"\bleave a (?:comment|reply)\b",
            r"\bkommentar (?:abgeben|schreiben|verfassen)\b", r"\bum einen kommentar\b",
            r"\blaisser un commentaire\b", r"\bdeja (?:un|tu) comentario\b",
            r"\bthis is a (?:breaking|developing) news? story\b", r"\bmore to follow\W*$",
            r"\bthis (?:story|article) (?:is developing|will be updated)\b",
            # affiliate disclosures
            r"\b(?:when|if) you (?:purchase|buy|click) (?:something )?(?:through|via) (?:our )?"
            r"(?:the )?links",
            r"\bwe may (?:earn|receive) an? (?:small )?(?:affiliate )?commission\b",
        ]
    ),
    re.IGNORECASE,
)  # fmt: skip

# The placeholder of an embed (video, chart, post) blocked until the reader consents.
_CONSENT = re.compile(
    "|".join(
        [
            r"\bein klick f[üu]r den datenschutz\b", r"\bexterner inhalt\b",
            r"\binhalte? (?:von )?(?:externen anbietern|drittanbietern)\b",
            r"\bum (?:diesen|den|externe) inhalte? (?:zu sehen|anzuzeigen|zu laden)\b",
            r"\bto (?:view|see|display) this (?:content|embed)\b",
            r"\bthis content is (?:not available|blocked)\b",
            r"\bcontenu (?:externe|bloqué)\b",
        ]
    ),
    re.IGNORECASE,
)  # fmt: skip

_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("see_also", _SEE_ALSO),
    ("subscribe", _SUBSCRIBE),
    ("share", _SHARE),
    ("copyright", _COPYRIGHT),
    ("comments", _COMMENTS),
    ("consent", _CONSENT),
]


def fallback_rule(line: str) -> str | None:
    """The name of the rule that marks ``line`` as boilerplate, or None."""
    if len(line) > MAX_RULE_CHARS:
        return None
    for name, pattern in _RULES:
        if pattern.search(line):
            return name
    if len(line) <= MAX_CREDIT_CHARS and _CREDIT.search(line):
        return "credit"
    return None


def heads_related_links(line: str) -> bool:
    """``line`` is a "Related stories" heading: the list items after it are links."""
    return len(line) <= MAX_RULE_CHARS and bool(_SEE_ALSO_HEADING.match(line))


def is_list_item(line: str) -> bool:
    return bool(_LIST_ITEM.match(line))


# An author's biography under the article: "Jane Roe is a writer for Fox News Digital.",
# "CNBC's Julia Boorstin is the author of ...", "Anna Berg ist Redakteurin im Ressort ...".
_BIO_ROLE = re.compile(
    r"\b(?:is|was|has been|covers|writes|ist|war|schreibt|est|es|è)\b.{0,120}?"
    r"\b(?:writer|reporter|editor|journalist|correspondent|columnist|contributor|author"
    r"|redakteur(?:in)?|reporter(?:in)?|journalist(?:in)?|korrespondent(?:in)?|autor(?:in)?"
    r"|journaliste|rédact(?:eur|rice)|correspondant(?:e)?|periodista|redactor(?:a)?"
    r"|corresponsal|giornalista|redattore|redattrice|corrispondente)",
    re.IGNORECASE,
)
MAX_BIO_CHARS = 600
BIO_LINES = 3  # an author's biography stands among the last lines


_NAME_FIRST = re.compile(r"(?:[A-Z][\w.'’-]+ ){1,3}[A-Z][\w'’-]+(?='s |’s | )")


def is_author_bio(line: str, authors: Sequence[str], outlets: Sequence[str] = ()) -> bool:
    """A short paragraph about the article's author: it starts with one of ``authors``
    (or "Outlet's Name") and says their role in journalism; or, authors unknown, starts
    with a name and says the role is at one of ``outlets`` (the site's names)."""
    if len(line) > MAX_BIO_CHARS:
        return False
    head = line[:80]
    for name in authors:
        at = head.find(name) if len(name.split()) >= 2 else -1
        if at == 0 or (at > 0 and head[:at].rstrip().endswith(("'s", "’s"))):
            return bool(_BIO_ROLE.match(line[at + len(name) :].lstrip()))
    named = _NAME_FIRST.match(line)
    if named is None or not _BIO_ROLE.match(line[named.end() :].lstrip()):
        return False
    said = squeezed(line[named.end() : named.end() + 200])
    return any(len(o) >= 4 and o in said for o in map(squeezed, outlets))
