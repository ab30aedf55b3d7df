"""license_events.v9: releases, relicensing and new license texts, per model version.

Knowledge lives in ``data/licenses.yaml``: every license's id (SPDX where SPDX has one, else
``LicenseRef-…``), surface forms, commercial-use and OSI flags and key restrictions, plus the
model-name rules. The classifier works sentence by sentence (the title counts as a sentence):

1. find license mentions; one "based on" / "derived from" another license becomes that base
   license's ``modified_id`` (a license based on Apache is not Apache); an unlisted
   ``<Capitalised Words> License`` becomes ``LicenseRef-<Words>``;
2. decide the kind: ``relicense`` when the sentence frames a change ("switches to", "now
   ships under", "relicensed", "moves from X to Y", "replacing the previous license"), else
   ``new_license`` when the license itself is introduced or versioned, else ``release`` when
   a model is stated to be under the license. "Open weights" with no named license is no event;
3. resolve the model (a family of the actor registry, size and version stripped, variant
   words kept) and its organisation, looking at the neighbouring sentences and the title when
   the sentence says only "it" or "the model" ("All models in the series": every model just
   named). A license attached to a CLI, an app, code or a dataset keeps that ``subject_kind``;
   software outside the actor registry ("relicensing Grafana, Loki and Tempo") is named from
   the sentence, and its organisation is the subject of the announcement ("HashiCorp
   announced ...") even when the actor registry does not list it.

v3 reads more of how changes are written ("from the MPL to the BSL" with any verb, "(Apache
to SSPL)", "AGPL was replaced with the SSPL", "returning Mergekit to the LGPL", "going
forwards ... rather than Apache"), vendor licenses named without the vendor ("a revamped
Community License" beside "Stability AI"), table rows that pair one model with its license,
and the steward of a general license text (FSF, Mozilla, Creative Commons) as the actor of a
new version. It leaves out what a review cannot act on: speculation ("may change its
license"), the license a product had before ("Previously, X was licensed under ..."),
questions, drafts, quoted terms addressed to the reader, "open source" as a description
rather than a release, and a new license text with no organisation behind it.

v4 attaches a license to what the sentence is about: "It is released under Apache 2.0" after
"X CLI is an open-source command-line assistant" is the CLI's license (``subject_kind`` app),
not the model the title names. It reads one change per table row ("| Acme | AcmeDB | ... |
Acme changed license (Apache to SSPL) |"), catalogue entries the registry does not know
("- Dia — 1.6B, ...; Apache-2.0;"), "That is a hard break from its earlier releases, which
shipped under X" as the license a release leaves (and no release of the earlier models),
"The new license is X" as a change, products listed after a change ("like OTRS or POV-Ray",
"comme ... ou ..."), an organisation's variants named without their line ("Mistral moved
Large 3 and Small 4" -> "Mistral Large 3"), new versions in French, German and Spanish ("a
publié la version 3 de la licence"), and no release from a headline naming neither a model
nor an organisation.

v5 reads earlier states ("Previous Gemma versions used X. Gemma 4 is released under Y",
"initialement disponible uniquement pour les chercheurs", "Previously, X was licensed under Y"
beside an announced update) as relicenses; "The new X replaces the original Y"; a license
released or presented as new by its steward ("the Linux Foundation released OpenMDW-1.1",
"is the new ... license", "was born out of"); "adopted it across Cosmos and Nemotron" after a
license; a vendor's possessive ("Microsoft's research license") and its short name ("the
Mistral model ... a non-production license"); another organisation before a vendor's generic
form ("Databricks Open Model License"); model-card metadata (``license: mit``,
``license_name: yi-license``); hard line wraps; sized names outside the registry as a
release's subject; benchmark rivals (in English, Spanish, French and German) as neither
subject nor actor; and what "remains under" a license as no change.

v6 is these rules reading the ``actors.v3`` registry (organisation and model names in
Chinese, more research organisations): the same rules, with other actor and model
attributions where the registry changed, so the archive's results move forward on
``lumi reclassify``.

v7 adds licenses the table lacked and the forms German, French, Spanish and Chinese texts use
for them: GPL 1.0 / 2.0 (only and "or later"), GPL 3.0 or later, LGPL 2.0 / 2.1, MPL 1.1,
EUPL 1.1 / 1.2, Apache 1.1, Creative Commons 2.0 to 4.0 (with ND), CDLA 1.0, the PolyForm
licenses, Commons Clause ("Apache v2.0, now with Commons Clause" is the combined license),
Open WebUI License, BLOOM RAIL 1.0, Falcon-180B TII License, LTOL, ``lfm1.0`` and "FLUX.1
[dev] License"; model-hub fields in Chinese ("开源协议: mit"); and a model card's
``license_name:`` key where the metadata block is flattened into one line.

v8 reads Japanese, Korean, Portuguese, Polish, Italian and Dutch, and more Spanish and
German: the license word as those languages write it after or before a name ("Apache
2.0ライセンス", "MIT 라이선스", "licença MIT", "na licencji MIT", "licenza", "licentie"),
their release verbs ("公開", "リリース", "공개", "출시", "lança", "disponibiliza",
"udostępnia", "rilasciati sotto", "uitgebracht onder") and change verbs ("に変更", "로
변경", "muda para", "passou a ser", "zmienia licencję", "stapt over op", "wechselt zur",
"Umstellung auf", "bascule sous", "a partir de la versión 7.4") with the license they leave
("XからYに", "X에서 Y로", "passou de X para Y"), a license text a Japanese
or Korean sentence announces as its object ("「X License」というライセンスを発表"), "the
license is X" ("ライセンスは…", "Xのライセンスは"), subjects left out ("Vengono
rilasciati sotto", "Ambas versiones se publican bajo"), "based on" in those languages
("basada en", "oparta na", "をベースに", "기반"), and model and organisation names in Korean and
Japanese script ("카나나 세이프가드(Kanana Safeguard)" goes by its Latin name). It also reads
the license a product had so far before the one it moves to ("bisher unter X ... unter Y"),
"Licence" as "License" in every form, two versions of one license text as two events
("EUPL 1.1 ... EUPL 1.2"), a license after "converts to" / "reverts to" as no release, a
family of terms inside a named license ("Cambrian Non-Commercial License Agreement"), a
vendor's generic form in another organisation's document ("this Open Model Licence" after
"InstaDeep Open Model Licence"), the models of a license's own ";" clause, explainer
headlines ("... licence terms compared"), "an evaluation of the X License" and "many models
are released under ..." as no event, "has launched X, adopting Y" as a release, licenses a
Chinese sentence says a model does not use ("并未采用 Apache 2.0 或 MIT"), and Chinese changes
("向 … 许可证的过渡", "从 Redis 8 开始") and license texts born or published in a year ("在 1991
年 6 月发布"). It reads the ``actors.v4`` registry.
Sentences are keyed by the form word fewer sentences hold ("clause", not "3"), so fewer run
the license patterns.

v9 reads Russian, Romanian and Indonesian and more Korean, Spanish and Portuguese: the license
word ("лицензией Apache 2.0", "cu licență MIT") and a short form after it ("лицензию AGPLv3"),
an adjective between the word and the name ("una licencia abierta MIT", "licenza open source
AGPL"), "Apache Software License 2.0" and the Korean "아파치 라이선스 2.0", the GPL and LGPL
named without a version (``LicenseRef-GPL``, ``LicenseRef-LGPL``; "a versão 3 da licença GPL"
is GPL 3.0), model nouns in those languages ("модель", "modelli", "모델", "モデル") as a
release's subject, "under the license" in Korean ("라이선스 아래", "하에") and "오픈소스화",
release verbs ("выпустила", "опубликовала", "merilis", "lansat"), change verbs ("перешёл на",
"сменил лицензию", "beralih dari X ke", "mengubah lisensi") with the license they leave, "based
on" in Russian ("основанную на"), a license text "foi lançada" / "fue lanzada" as new. It
reads a sentence that is only "Under Apache 2.0." after a model's, "Voxtral Realtime, is Apache
2.0" (not "We are Apache 2.0"), "Todos ellos" / "Totul" as the models just named, "Xのライセンス
であるY" as X's license, and "we're choosing X" as a first-person release.

Actor and model mentions come from the actor classifier's analysis of the same document, so
the text is tokenized once for both classifiers.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from classifiers.actors import ActorClassifier, Mention
from classifiers.base import (
    EVIDENCE_CHARS,
    LICENSE_EVENT_KINDS,
    ClassifierConfig,
    Document,
    LicenseEvent,
    SubjectKind,
    read_knowledge,
)
from classifiers.errors import ClassifierNotConfigured
from classifiers.registry import register

__all__ = [
    "DATA_PATH",
    "LicenseEventClassifier",
    "LicenseInfo",
    "LicenseMatch",
    "LicenseTable",
    "MentionCandidate",
    "license_stem",
    "load_license_table",
    "merge_events",
    "model_name",
]

DATA_PATH = Path(__file__).parent / "data" / "licenses.yaml"

# A license mention preceded by one of these is a description of another license's origin.
_BASED_ON = re.compile(
    r"\b(?:based\s+on|derived\s+from|adapted\s+from|modell?ed\s+(?:on|after)|built\s+on"
    r"|(?:a\s+)?(?:modified|custom|variant|tweaked)\s+(?:version\s+)?of|variant\s+of"
    r"|inspired\s+by)\s+(?:the\s+|an?\s+)?$"
    # "basada en la Apache 2.0", "baseada na", "basata sulla", "oparta na licencji",
    # "gebaseerd op de", "abgeleitet von der"
    r"|\b(?:basad[ao]s?\s+en|basead[ao]s?\s+(?:em|n[ao]s?)|basat[ao]\s+su\w*|opart[aey]?\s+na"
    r"|gebaseerd\s+op|abgeleitet\s+von|derivad[ao]s?\s+d[aeo]|inspirad[ao]s?\s+(?:en|em|n[ao]))\s+"
    r"(?:(?:la|el|a|o|de|der|die|dem|het|licencji|licencia|licença|licenza)\s+){0,2}$"
    # Russian "основанную на лицензии", Indonesian "berdasarkan lisensi"
    r"|(?:\bоснованн?\w*\s+на|\bberdasarkan)\s+(?:лицензи\w*\s+|lisensi\s+)?[«\"“]?$",
    re.IGNORECASE,
)
_RELICENSE = re.compile(
    r"\b(?:re-?licen[cs]\w*"
    r"|switch(?:es|ed|ing)?\b(?:[^.;:]|\.(?=\d)){0,60}?\bto\b"
    r"|shift(?:s|ed|ing)?\b(?:[^.;:]|\.(?=\d)){0,60}?\bto\b"
    r"|relax(?:es|ed|ing)?\s+(?:\w+\s+){0,3}?(?:licen[cs]\w*|terms)"
    r"|(?:drop|remov|lift|scrap|abandon)\w*\s+(?:\w+\s+){0,2}?(?:non-?commercial|research[- ]only)"
    r"|updat(?:e|es|ed|ing)\s+(?:the\s+|its\s+|their\s+)licen[cs]\w*\s+(?:of|for|to)\b"
    r"|wechsel\w*\s+(?:[\w.-]+\s+){0,6}?(?:zu|zur|zum|auf)\b|umgestellt|neu\s+lizenziert|relizenzier\w*"
    # "künftig unter der AGPLv3 statt der MIT-Lizenz", "désormais sous", "en adelante bajo"
    r"|\b(?:statt|anstelle|anstatt)\b|\b(?:künftig|zukünftig|désormais|dorénavant)\b"
    r"|\bà\s+l['’]avenir\b|\ben\s+adelante\b|\ba\s+partir\s+de\s+ahora\b|\ben\s+lugar\s+de\b"
    r"|\bau\s+lieu\s+de\b"
    r"|(?:passe|passent|passé)\s+(?:\w+\s+){0,3}?(?:à|sous)\b|change\w*\s+de\s+licence"
    r"|cambi\w*\s+(?:[\w.-]+\s+){0,5}?(?:a|al|de\s+licencia)\b|nueva\s+licencia"
    r"|(?:later|since)\s+(?:been\s+)?(?:updated|moved|changed|switched)\s+to\b"
    r"|now\s+(?:\w+\s+){0,2}?(?:ships?|shipping|released|licen[cs]ed|distributed"
    r"|comes?|offered|published|covered|governed|uses?)\b[^.;:]{0,40}?\b(?:under|with|by)\b"
    r"|now\s+uses?\b"
    r"|mov(?:e|es|ed|ing)\b(?:[^.;:]|\.(?=\d)){0,80}?\b(?:from|to|off)\b"
    r"|transition(?:s|ed|ing)?\b[^.;:]{0,120}?\bto\b"
    r"|\bin\s+(?:the\s+)?future\b|\bgoing\s+forwards?\b|\bfrom\s+now\s+on\b"
    r"|\bfuture\s+(?:versions|releases|contributions)\b"
    r"|chang(?:e|es|ed|ing)\s+(?:[\w'’-]+\s+){0,3}?licen[cs]\w*"
    r"|chang(?:e|es|ed|ing)\s+(?:[\w'’-]+\s+){0,3}?from\b"
    r"|return(?:s|ed|ing)?\b[^.;:]{0,60}?\bto\b|rather\s+than\s+(?:the\s+|an?\s+)?(?-i:[A-Z])"
    r"|modifi\w*\s+(?:leur|sa|son)\s+licence"
    r"|licen[cs](?:e|ing)\s+change"
    r"|replac(?:e|es|ed|ing)\s+(?:[\w.'’“”-]+\s+){0,6}?(?:licen[cs]e|terms)"
    r"|no\s+longer\s+(?:under|licen[cs]ed|released|available)"
    r"|previously\s+(?:\w+\s+){0,2}?(?:under|licen[cs]ed)"
    r"|adopt(?:s|ed|ing)?\b|instead\s+of\b|new\s+version\s+of\s+(?:our|its|their)\b|in\s+place\s+of\b|embrac\w*"
    r"|(?:alongside|in\s+addition\s+to)\s+(?:its\s+|the\s+|their\s+)?existing\b"
    r"|dual[- ]licen[cs]\w*|add(?:s|ed|ing)?\b[^.;:]{0,80}?\b(?:option|alongside)\b"
    r"|(?:departure|break|shift|move)\s+(?:away\s+)?from\b|abandon\w*"
    r"|(?:says?|said|bids?|bade)\s+(?:goodbye|farewell)\s+to\b"
    r"|\b(?:was|were|is|are|has\s+been|have\s+been|being)\s+replaced\s+(?:with|by)\b"
    # "The new license is the Business Source License": what the product now ships under
    r"|^\W*(?:the|our|its)\s+new\s+licen[cs]e\s+(?:is|will\s+be)\b"
    # "a new home and license (AGPL) for Synapse": a new license for a named product
    r"|\bnew\s+(?:[\w-]+\s+(?:and|&)\s+)?licen[cs]e\s*(?:\([^)]*\)\s*)?for\s+(?:the\s+|its\s+)?(?-i:[A-Z])"
    # "starting with version 5.0", "a partir de la versión 7.4", "ab Version 8": what a
    # product ships under from a version on
    r"|\bstarting\s+(?:with|from)\s+(?:version\s+|v)?\d|\ba\s+partir\s+d[eao]\s+(?:la\s+)?(?:versi[oó]n|versão)\b"
    r"|\bà\s+partir\s+de\s+la\s+version\b|\bab\s+(?:der\s+)?Version\b"
    # Portuguese: "muda para", "passou a ser disponibilizada sob", "em vez de", "agora sob"
    r"|\bmud(?:a|am|ou|aram|ando|ar)\s+(?:[\w.-]+\s+){0,5}?(?:para|de\s+licen[cç]a)\b"
    r"|\bpass(?:a|am|ou|aram)\s+a\s+(?:ser\s+)?\w+|\bem\s+vez\s+d[aoe]\b|\bno\s+lugar\s+d[aoe]\b"
    r"|\bagora\s+(?:\w+\s+){0,3}?sob\b|\brelicenci\w*"
    # Spanish: "adopta la licencia", "optar ahora por la AGPL"
    r"|\badopt(?:a|an|ar|ó|aron|ado)\b|\bopt(?:a|ar|ó|aron)\s+(?:ahora\s+)?por\b"
    # Portuguese and Italian "adota", "adotta"; German "stellt ... auf MIT um"
    r"|\badot(?:a|am|ou|aram|ar)\b|\badott(?:a|ano|ato|ata|are)\b"
    r"|\bstell\w*\s+(?:[\w.-]+\s+){0,6}?auf\b(?=[^.;:]{0,60}\bum\b)"
    # Italian: "passa alla licenza", "cambia licenza", "invece della", "d'ora in poi"
    r"|\bpass(?:a|ano|ato|ata)\s+(?:\w+\s+){0,3}?(?:alla|al|sotto)\b|\bcambi\w*\s+(?:\w+\s+){0,2}?licenz\w*"
    r"|\binvece\s+d(?:i|el|ella|ella)\b|\bal\s+posto\s+d\w*|\bd['’]ora\s+in\s+poi\b"
    # Polish: "zmienia licencję", "przechodzi na licencję", "zamiast"
    r"|\bzmie(?:nia|nił|niła|niło|nili|niły|niają|niać|nić|na)\s+(?:\w+\s+){0,2}?licencj\w*"
    r"|\bzmienion[aey]\s+na\b|\bprzech\w*\s+na\b|\bprzeszł\w*\s+na\b|\bzamiast\b"
    # Dutch: "stapt over op", "in plaats van", "voortaan"
    r"|\bstap\w*\s+(?:[\w.-]+\s+){0,4}?over\s+(?:op|naar)\b|\bovergestapt\b|\bin\s+plaats\s+van\b|\bvoortaan\b"
    # German: "verfügt nun über eine MIT-Lizenz", "Umstellung auf", "zur SSPL"; French
    # "bascule sous licence"
    r"|\b(?:nun|jetzt)\s+(?:\w+\s+){0,5}?(?:unter|über)\b|\bnur\s+noch\s+unter\b|\bUmstellung\s+auf\b|\bbascul\w*\s+(?:\w+\s+){0,3}?(?:sous|vers|à)\b)"
    r"|改为|更换为|更改为|改用|迁移至|迁移到|转为|切换到|切换为|变更为"
    # "已完成向 GNU AGPL v3 许可证的过渡", "现已在 AGPLv3 许可证下提供", "从 Redis 8 开始"
    r"|改成|换成|換成|转向|轉向|重新开源|重新開源|现已采用|現已採用"
    r"|(?:现已在|現已在)(?=[^。，,]{0,30}(?:许可证?|协议|授权|許可證?|協議|授權)下)"
    r"|向(?=[^。；]{0,60}(?:过渡|過渡|迁移|遷移|转换|轉換))|(?:从|從)[^。；，,]{1,20}?(?:开始|開始)"
    # Japanese and Korean: "に変更", "へ移行", "に切り替え", "로 변경", "로 전환"
    r"|に変更|へ変更|を変更|に移行|へ移行|に切り替え|へ切り替え|に切替|乗り換え|に変わ|へ変わ"
    r"|(?:으로|로)\s*(?:변경|전환|바꾸|바꿨|바뀌|바뀐|교체)"
    # Russian: "перешёл на лицензию", "сменил лицензию", "вместо"
    r"|\bпере(?:шёл|шел|шла|шли|ходит|ходят|йдёт|йдет|вёл|вел|вела|вели)\s+(?:\w+\s+){0,2}?на\b"
    r"|\b(?:сменил|изменил|поменял)\w*\s+(?:\w+\s+){0,2}?лицензи\w*|\bвместо\b"
    # Indonesian: "beralih dari ... ke", "mengubah lisensi", "alih-alih"
    r"|\bberalih\b|\b(?:mengubah|mengganti)\s+(?:\w+\s+)?lisensi\w*|\balih-alih\b",
    re.IGNORECASE,
)
# "adopts OpenMDW": an organisation taking up a license text; with no model in the sentence
# it is that license's adoption (``new_license`` with the adopter as actor).
_ADOPT = re.compile(r"\badopt(?:s|ed|ing)?\b", re.IGNORECASE)
# "moves from Google's custom license": the vendor's own license, when the table has one.
_FROM_CUSTOM = re.compile(
    r"\b(?:from|previously|formerly|initially|originally|replacing|instead\s+of)\s+"
    r"(?:(?:released|licen[cs]ed|under|the|a|an|its|their|[\w-]+['’]s)\s+){0,3}"
    r"(?:(?:own|custom|proprietary|restrictive|previous|bespoke)\s+){1,3}(?:[\w-]+\s+)?licen[cs]e",
    re.IGNORECASE,
)
# The license family a change moves away from, when no license text is named:
# "shift from non-commercial to Apache 2.0", "drops the research-only restriction".
_FROM_FAMILY = re.compile(
    r"\b(?:from|away\s+from|drop\w*|remov\w*|lift\w*|scrap\w*|abandon\w*|previously"
    r"|formerly|replacing|instead\s+of|no\s+longer|was|were|von|de|desde)\s+"
    r"(?:(?:the|its|their|a|an|der|die|la|le|el|une?|una?)\s+)?"
    r"(?:(?:restrictive|original|earlier|old|previous|custom|former)\s+)?"
    r"(?:(?P<nc>non-?commercial|nicht-?kommerziell\w*|non\s+commercial\w*|no\s+comercial)"
    r"|(?P<ro>research[- ]only|research\s+license))",
    re.IGNORECASE,
)
_FROM_FAMILY_ZH = re.compile(r"(?:从|由)(?:原有的?|之前的?)?(?P<nc>非商业|非商用)|(?P<ro>仅限研究)")
_FROM_MARK = re.compile(
    r"\b(?:from|shift\w*\s+from|replacing|replaces|replaced|instead\s+of|rather\s+than|previously(?:\s+\w+)?"
    r"|abandon\w*|quitt\w*"
    r"|statt|anstelle|anstatt|au\s+lieu\s+de|en\s+lugar\s+de|desde|replace"
    # "zuvor unter einer nicht-kommerziellen Lizenz", "anteriormente sob", "em vez da"
    r"|zuvor|vorher|früher|anteriormente|auparavant|in\s+precedenza|em\s+vez\s+d[aoe]"
    r"|invece\s+d(?:i|el|ella)|zamiast|in\s+plaats\s+van|beralih\s+dari|вместо"
    r"\s+under|no\s+longer\s+under|away\s+from|dropping|drops|abandoning|was\s+under"
    r"|were\s+under|formerly\s+under|formerly|off|(?:goodbye|farewell)\s+to)\s+"
    r"(?:the\s+|its\s+|their\s+|an?\s+|our\s+)?"
    r"(?:[\w-]+[\s:–—-]+){0,3}[“\"‘]?$"
    # "So far, the toolkit relied on the Apache 2.0 license": the state a change leaves
    # "von der Apache-2.0-Lizenz" (not "von MongoDB erstellten")
    r"|\bvon\s+(?:der\s+|dem\s+|den\s+|einer\s+)?(?:[\w-]+\s+)?$"
    r"|\b(?:so\s+far|until\s+now|until\s+recently|up\s+to\s+now|bisher|bislang"
    r"|before\s+(?:this|it|that|they)\s+(?:was|were|had))\b[^.;:]{0,50}$",
    re.IGNORECASE,
)
_NEW_LICENSE_PHRASE = re.compile(
    r"\bnew\s+(?:version\s+of\s+(?:the\s+|its\s+)?)?(?:[\w.-]+\s+){0,4}?licen[cs]e\b"
    # "przyjąć nową wersję EUPL", "a nova versão da licença", "la nueva versión de la licencia"
    r"|\b(?:nową|zmienioną|nowa)\s+wersj\w*|\bnova\s+versão\b|\bnueva\s+versión\b"
    r"|新协议|新協議|新许可证|新許可證|新的许可|新的許可"
    r"|\bnuova\s+versione\b|\bnouvelle\s+version\b|\bneue\s+(?:Version|Fassung)\b"
    r"|\blicen[cs]e\s+text\b|\bversion\s+\d[\d.]*\s+of\s+(?:the|its|their|our)\b"
    r"|\b(?:an?|the)\s+(?:new\s+)?licen[cs]e\s+(?:[\w-]+\s+){0,6}?(?:called|named|dubbed|known\s+as)\b",
    re.IGNORECASE,
)
_NEW_VERB_BEFORE = re.compile(
    r"\b(?:publish|introduc|unveil|launch|announc|releas|debut|draft|updat|revis|finali[sz]"
    r"|creat|propos|roll|develop|co-develop|brought|writ|wrote)\w*\s+(?:[\w'’.-]+\s+){0,4}?"
    r"[“”\"‘*_]*$"
    # "a publié la version 3 de la licence", "veröffentlichte Version 2 der", "publicó la
    # versión 4.0 de la licencia"
    r"|\b(?:publi|présent|lanc|veröffentlich|introdu|dévoil)\w*\s+(?:la\s+|die\s+)?"
    r"(?:version|versión)\s+\d[\d.]*\s+(?:de\s+la\s+(?:licence|licencia)|de|der|des)\s+"
    r"(?:[\w-]+\s+)?$"
    # "creó la Licencia Apache 1.1", "produced the Apache License 2.0", "criou a licença",
    # "fez a nova versão da"; "改訂版「GPLv3」" (the revised edition)
    r"|\b(?:produced|cre(?:ó|o|aron|ou|arono)|produjo|produziu|ha\s+creato|a\s+créé)\s+"
    r"(?:[\w'’.-]+\s+){0,3}?$|(?:改訂版|新版|새\s*버전)\s*[「『“\"]?\s*(?:The\s+)?$"
    # "przyjęła zmienioną wersję wspomnianej licencji (", "przyjąć nową wersję EUPL - "
    r"|\b(?:nową|zmienioną|nowa|nova|nueva|nuova|nouvelle|neue)\s+(?:wersj\w*|versão|versión"
    r"|versione|version|Fassung)\b[^.;:]{0,50}$",
    re.IGNORECASE,
)
# "ELv2 is the license that Elastic introduced", "X (FSL) was written by ...": a license
# text presented with its origin.
_DEFINED_AFTER = re.compile(
    r"^[\s,]*(?:\([^)]*\)\s*)?(?:is|was)\s+(?:the|a|an)\s+(?:[\w-]+\s+){0,5}?licen[cs]e\s+"
    r"(?:that|which)\s+(?:[\w.-]+\s+){1,3}?(?:introduced|created|released|wrote|developed"
    r"|published|launched|drafted)\b"
    r"|^[\s,]*(?:\([^)]*\)\s*)?(?:is|are|was|were)\s+(?:an?\s+)?(?:[\w-]+\s+){0,6}?"
    r"(?:created|introduced|designed|developed|written|drafted|authored|released)\s+"
    r"(?:by|specifically|for|in\s+\d{4})\b"
    # "The Blue Oak Model License 1.0.0 is the new state-of-the-art permissive license"
    r"|^[\s,]*(?:\([^)]*\)\s*)?(?:is|was)\s+(?:the|a)\s+new\s+(?:[\w-]+\s+){0,5}?licen[cs]e\b"
    # "OpenMDW ... was born out of the effort to ..."
    r"|^[\s,]*(?:\([^)]*\)\s*)?(?:was|were)\s+born\s+(?:out\s+of|from)\b",
    re.IGNORECASE,
)
# A draft is no published license text; a license named for compatibility is not the news.
_NOT_NEW_BEFORE = re.compile(
    r"\bdrafts?\s+(?:[\w-]+\s+){0,2}?(?:of|for)\s+(?:the\s+)?(?:[\w-]+\s+){0,2}$"
    # "The FSF has published its evaluation of the Llama 3.1 Community License": a text
    # about the license, not the license
    r"|\b(?:evaluation|review|analysis|critique|assessment|comparison|guide|FAQ|summary"
    r"|explainer|overview)\s+of\s+(?:the\s+)?[“\"‘]?$"
    r"|\bcompatib\w*\s+with\s+(?:the\s+)?(?:[\w.-]+\s+){0,4}$",
    re.IGNORECASE,
)
_CALLED_BEFORE = re.compile(
    r"\blicen[cs]e\b[^.;:]{0,60}?\b(?:called|named|dubbed|known\s+as)\s+(?:the\s+)?[“\"‘]?$",
    re.IGNORECASE,
)
_MADE_VERB = re.compile(
    r"\b(?:releas|introduc|develop|creat|publish|launch|unveil|announc|writ|wrote|draft)\w*",
    re.IGNORECASE,
)
# "The new license is the Business Source License": the license a product moves to, not a
# new text ("The new license is called the SSPL" names one).
_NEW_IS_BEFORE = re.compile(
    r"\bnew\s+licen[cs]e\s+(?:is|will\s+be)\s+(?:the\s+|an?\s+)?$", re.IGNORECASE
)
# Verbs that make a license text rather than put a model or product under one.
_CREATE_VERB = re.compile(
    r"\b(?:creat(?:e|es|ed|ing)|writ(?:es|ten|ing)|wrote|draft(?:s|ed|ing)?"
    r"|(?:co-)?develop(?:s|ed|ing)?|introduc(?:e|es|ed|ing)|brought)\b",
    re.IGNORECASE,
)
# "a new license we've written called the ...", "a new version of our ...": right before it
_NEW_NEAR = re.compile(
    r"\bnew\s+(?:[\w-]+\s+){0,6}?(?:called|named|dubbed|known\s+as|of\s+(?:our|its|their))\s+"
    r"(?:the\s+|an?\s+)?[“\"‘]?$|\b(?:creat|writ|wrote|draft|develop|introduc)\w*\s+"
    r"(?:[\w'’-]+\s+){0,3}?[“\"‘]?$",
    re.IGNORECASE,
)
_NEW_VERB_AFTER = re.compile(
    r"^[\s,]*(?:\([^)]*\)\s*)?(?:,\s*)?(?:which\s+)?(?:was\s+|is\s+|has\s+been\s+|were\s+"
    r"|foi\s+|fue\s+|è\s+stat[ao]\s+)?"
    r"(?:just\s+|now\s+|officially\s+)?(?:published|introduced|unveiled|launched|announced"
    r"|released|drafted|updated|revised|finali[sz]ed|created|proposed"
    # "hat die OpenMDW-Lizenz vorgestellt", "la licence ... présentée", "presentó la licencia"
    r"|vorgestellt|eingeführt|präsentiert|présentée?|dévoilée?|presentad[ao]"
    # "L'AGPL v3.0, publiée le 19 novembre 2007", "publicada", "pubblicata", "opublikowana"
    r"|publiée?|publicad[ao]|pubblicat[ao]|opublikowan[aey]"
    # "A versão 3 da licença GPL foi lançada", "fue lanzada", "è stata rilasciata" (a
    # German verb after the license is as often a release: "unter Apache 2.0 veröffentlicht")
    r"|lançad[ao]|lanzad[ao]|rilasciat[ao])\b"
    # "GPL V2.0 在 1991 年 6 月发布时", "(..., 简称LGPL)也随之发布", "就这样...诞生"
    r"|^\s*(?:[(（][^)）]*[)）]\s*)?(?:也|亦)?(?:随之|隨之|正式)?(?:发布|發布|推出|诞生|誕生|问世|問世)"
    r"|^\s*在\s*\d{4}\s*年[^。，,]{0,10}?(?:发布|發布|诞生|誕生)|^[^。]{0,20}?(?:诞生|誕生|问世|問世)"
    # Japanese and Korean put the verb after the license, which is its object (を, 를/을):
    # "「X License」というライセンスを新しく発表", "「GPLv3」を…正式リリースする", "X 라이선스를
    # 발표했다"; "MITライセンスで公開" (で: under) is a release
    r"|^[」』”\"）)\s]*(?:という|と呼ばれる)?(?:新しい|新たな)?(?:ライセンス)?を[^。、]{0,30}?"
    r"(?:新しく|新たに|正式に?)?(?:発表|公開|リリース|公表|策定)"
    r"|^[’”\"）)\s]*(?:라는\s*)?(?:새로운\s*)?(?:라이[선센]스)?(?:를|을)\s*(?:새롭게\s*|새로\s*|정식\s*)?"
    r"(?:발표|공개|출시)",
    re.IGNORECASE,
)
_UNDER_BEFORE = re.compile(
    r"\b(?:under|licen[cs]ed|uses?|using|adopts?|adopted|ships?\s+with|with"
    # "unter der", "sous la", "bajo la", "sob a", "sotto la", "onder de", "na licencji"
    r"|unter|sous|bajo|sob|sotto|onder|na\s+licencji|con|com|mit|avec)\s+"
    r"(?:the\s+|its\s+|an?\s+)?(?:[\w-]+\s+){0,2}$"
    # "采用 Apache 2.0 协议发布": the license a model is put out under
    r"|(?:采用|採用|使用|遵循|依照|根据|根據|基于|基於)\s*(?:[^\s。，,]{0,8})?\s*$",
    re.IGNORECASE,
)
# A release needs a verb that puts the model out under the license; "Under MIT, users may…"
# describes terms and is no event.
_RELEASE_CUE = re.compile(
    r"\b(?:releas\w*|open[- ]weight\w*|ship(?:s|ped|ping)?|publish\w*|launch\w*"
    # "open-sourced", "open-sources"; the noun ("refers to its models as open source")
    # only before the license ("open source under Apache 2.0")
    r"|open[- ]?sourc(?:ed|es|ing)|open[- ]?source(?![\s-]+Initiative)[\s-]+(?:[\w-]+[\s-]+){0,2}?"
    r"(?:under|with|models?|weights|licen[cs]e|Lizenz|licencia|releases?)\b|open[- ]?source\s*\("
    r"|availab\w*"
    r"|licen[cs]ed|distribut\w*|comes?\s+with|carr(?:y|ies)|upload\w*|introduc\w*|unveil\w*"
    r"|debut\w*|drop(?:s|ped)|put\s+out|land(?:s|ed)\b(?=[^.;]{0,40}?\bunder\b)"
    # "Grok 2.5 ..., its license, called the Grok 2 Community License, ..."
    r"|\bits\s+licen[cs]e\s*,?\s+(?:called|named|is|was)\b|(?:is|are|was|were|remains?)\s+(?:now\s+|still\s+)?"
    r"(?:under|covered)|weights\s+(?:are\s+)?under|uses?(?!\s+of\b)|adopt\w*|offer\w*|provid\w*"
    r"|veröffentlich\w*|unter\s+(?:der|die|einer)|steht\s+unter|steh(?:t|en)\b[^.;]{0,60}?\bunter\b|lizenziert|verfügbar"
    r"|bereitgestellt|publi\w*|sous\s+licence|disponible\w*|distribu\w*|lanc\w*|lanz\w*"
    r"|bajo\s+(?:la\s+|una\s+)?licencia|libera\w*|(?:es|son)\s+de\s+licencia"
    # Malay / Indonesian: "dilepaskan di bawah lesen Apache-2.0"
    r"|di\s*bawah\s+(?:lesen|lisensi)|dilepaskan|dirilis|diluncurkan|merilis|meluncurkan"
    # "Under its Microsoft Research license, Phi-2 ...", "with MIT licence", "grâce à leur licence"
    r"|^\W*under\s+(?:its|their)|with\s+(?:an?\s+)?(?:[\w.-]+\s+){0,2}licen[cs]e"
    r"|con\s+(?:una\s+|la\s+)?licencia|(?:grâce\s+à|avec)\s+(?:leur\s+|sa\s+|son\s+|une\s+|la\s+)?licence"
    r"|mit\s+(?:einer\s+|der\s+)?(?:[\w-]+\s+)?Lizenz|en\s+utilisant\s+la\s+licence"
    # Portuguese, Italian, Polish and Dutch: "lança ... sob a licença", "disponibilizado",
    # "rilasciati sotto la licenza", "udostępnia ... na licencji", "vrijgegeven onder"
    r"|lanç\w*|disponibiliz\w*|sob\s+(?:a\s+)?licen[cç]a|com\s+(?:a\s+|uma\s+)?licen[cç]a"
    r"|licenciad\w*|rilasci\w*|pubblica\w*|disponibil\w*|sotto\s+(?:la\s+)?licenza"
    r"|con\s+(?:la\s+|una\s+)?licenza|udostępni\w*|opublikowa\w*|dostępn\w*|na\s+licencji"
    r"|licencjonowan\w*|uitgebracht|vrijgegeven|beschikbaar|gepubliceerd"
    r"|onder\s+(?:de\s+)?[^.;:]{0,30}?licentie)\b"
    r"|开源|发布|采用|使用|选择|遵循|授权|推出|许可下|适用|協議開放|协议开放|開源|發布|採用|授權"
    # Japanese and Korean: "公開", "リリース", "採用", "適用", "提供", "配布"; "공개", "출시",
    # "적용", "배포", "제공"
    r"|公開|リリース|発表|採用|適用|提供|配布|オープンソース化|で利用|공개|출시|적용|배포|제공|발표|채택"
    # Korean "under the license" (하에, 아래) and "open-sourced" (오픈소스화)
    r"|라이[선센]스\s*(?:하에|아래)|오픈\s?소스화"
    # "Why we're choosing GNU AGPLv3" (with a first-person subject only: see the anchor)
    r"|(?i:\b(?:choos(?:e|es|ing)|chose)\b)"
    # Romanian "cu licență", "lansat"
    # "Voxtral Realtime, is Apache 2.0": the license right after "is" (blanked here)
    r"|(?<!we\s)(?<!they\s)\b(?:is|are)\s+(?:now\s+|also\s+)?\s{3}"
    r"|(?i:cu\s+licen[țt]\w*)|(?i:\blansa\w*|\blansat\w*)"
    # Russian "с лицензией", "под лицензией", "выпустила", "опубликовала", "открыла"
    r"|(?i:(?:с|под)\s+лицензи\w*)|(?i:выпуст\w*|выпущен\w*|опубликова\w*|представил\w*"
    r"|открыл\w*|доступн\w*|распространя\w*|лицензией)",
    re.IGNORECASE,
)
_REVISED_BEFORE = re.compile(
    r"\b(?:releas\w*|unveil\w*|introduc\w*|publish\w*|announc\w*|launch\w*|roll\w*\s+out)\s+"
    r"(?:an?\s+|the\s+|its\s+|their\s+)?(?:new(?:ly)?\s+)?(?:improved|revamped|revised|updated|amended"
    r"|rewritten|new)\s+(?:version\s+of\s+(?:the\s+|its\s+)?)?$",
    re.IGNORECASE,
)
_RELEASED_NAME_UNDER = re.compile(
    r"\b(?:released|releases|ships|shipped|published|publishes|launched|launches|open-sourced"
    r"|open-sources)\s+(?:its\s+|the\s+|their\s+)?(?-i:[A-Z][\w.-]*[A-Z0-9][\w.-]*|[A-Z][\w.-]+\d[\w.-]*)"
    r"(?:\s(?-i:[A-Z0-9])[\w.-]*){0,2}\s+under\b",
    re.IGNORECASE,
)
_ROW_START = re.compile(r"^\s*(?:[-*•|]|\d+[.)])\s*")
_FIELD_BEFORE = re.compile(r"[;,(|]\s*$")
_FIELD_AFTER = re.compile(r"\s*(?:[;,)|.]|$)")


def _is_field(line: str, start: int, end: int) -> bool:
    """Whether ``line[start:end]`` stands alone between separators ("...; MIT; ...")."""
    return bool(_FIELD_BEFORE.search(line[:start]) and _FIELD_AFTER.match(line, end))


# A list item that opens with a name and a dash: "- Dia — 1.6B, Nari Labs; Apache-2.0".
_ITEM_NAME = re.compile(
    r"^\s*[-*•]\s*\**(?P<name>[A-Za-z][\w.+-]*(?:\s[\w.+-]+){0,2}?)\**\s+[—–]\s"
)
# "That is a hard break from ...", "This marks a departure from ...": what follows is the
# state a change left, not a release.
_BREAK_START = re.compile(
    r"^\W*(?:This|That|It)\s+(?:is|was|marks|marked|represents|represented)\s+(?:an?\s+)?"
    r"(?:[\w-]+\s+){0,2}?(?:break|departure|shift|change)\s+from\b",
    re.IGNORECASE,
)
_PAST_STATE = re.compile(
    r"^\W*(?:previously|formerly|originally|until\s+(?:now|then|recently)|so\s+far|in\s+the\s+past"
    r"|bisher|auparavant|anteriormente|traditionally|historically|tradicionalmente"
    r"|tradizionalmente|traditionnellement|traditionell|tradycyjnie|históricamente)\b|^\W*(?:以前|此前)"
    r"|^\W*(?:This|That|It)\s+(?:is|was|marks|marked|represents|represented)\s+(?:an?\s+)?"
    r"(?:[\w-]+\s+){0,2}?(?:break|departure)\s+from\b",
    re.IGNORECASE,
)
# A sentence that is nothing but a license name ("Modified MIT license.").
_FRAGMENT = re.compile(
    r"[\s\W\d]*(?:licen[cs]e[sd]?|lizenz|licencia)?(?:\s+agreement)?[\s\W]*", re.IGNORECASE
)
# "Released on June 25, 2025, under the Apache 2.0 license, it provides ..."
_PARTICIPLE_START = re.compile(
    r"^\W*(?:Released|Licen[cs]ed|Distributed|Published|Available|Shipped|Open-sourced"
    r"|Veröffentlicht|Publié|Distribué|Publicado|Lanzado|Distribuido)\b"
    # "We are releasing today the official phi-4 model! With MIT licence!!"
    # "Mistral Small 4: 119B parameters. Under Apache 2.0.": the sentence is the license
    r"|^\W*(?:Under|Sous|Unter|Bajo|Sob|Sotto)\s+(?:the\s+|la\s+|der\s+|a\s+)?(?:[\w.-]+\s*){1,3}[.!]?\s*$"
    r"|^\W*(?:With|Under|Avec|Sous|Mit|Unter|Con|Bajo)\s+(?:an?\s+|the\s+|la\s+|der\s+|una\s+)?"
    r"(?:[\w.-]+\s+){1,3}?(?:licen[cs]e|Lizenz|licencia)(?:\s*\((?:sic|sic!)\))?\W*$"
    # a passive with the subject left out: "Vengono rilasciati sotto la licenza Apache 2.0",
    # "Foram lançados sob", "Zostały udostępnione na licencji", "遵循 Apache 2.0 开源协议"
    r"|^\W*(?i:Vengono|Viene|Sono|Son|Fue|Fueron|Foi|Foram|São|Zosta\w+|Został\w*|Są|Wurden|Wurde"
    r"|Werden|Wird|Worden|Zijn|Werd|Werden)\s+(?:\w+\s+){0,2}?(?i:rilasciat\w*|pubblicat\w*"
    r"|distribuit\w*|lanzad\w*|publicad\w*|liberad\w*|lançad\w*|disponibilizad\w*|licenciad\w*"
    r"|veröffentlicht|bereitgestellt|lizenziert|udostępnion\w*|opublikowan\w*|uitgebracht"
    r"|vrijgegeven|gepubliceerd)\b|^\W*(?:遵循|采用|採用)"
    # "Y se liberó también con una licencia", "Si rilascia con licenza"
    r"|^\W*(?:(?:Y|E|Ed)\s+)?(?i:se|si)\s+(?:\w+\s+)?(?i:liber|public|lanz|distribu|rilasc|pubblic"
    r"|lanç|disponibiliz)\w*"
)
_CHANGE_ANNOUNCED = re.compile(
    r"\b(?:licen[cs](?:e|ing)\s+change|change\s+(?:to|in|of)\s+(?:its|their|our|the)\s+"
    r"(?:[\w-]+\s+)?licen[cs]\w*|chang\w*\s+(?:its|their|our|the)\s+licen[cs]\w*"
    r"|re-?licens\w*)",
    re.IGNORECASE,
)
# "License: Apache 2.0", "开源协议：MIT": a model card's or a table's license line; a model
# card's ``license_name:`` key also where the metadata block is flattened into one line.
_LICENSE_LABEL = re.compile(
    r"(?:^|\n)\W*(?:licen[cs](?:e|ing)|lizenz|licencia|(?:开源)?(?:协议|许可证?))\s*[:：]"
    r"|\blicense_name\s*:"
    # "ライセンスはApache 2.0で…", "Llama 2 のライセンスは、…です", "라이선스: MIT",
    # "Licença: MIT" ("このライセンスは", this license, describes terms)
    r"|(?:^|\n)\W*(?:ライセンス|라이[선센]스|licen[cç]a|licenza|licencja|licentie)\s*(?:は|는|[:：])"
    r"|(?<![こそあど])(?:の|의)\s*(?:ライセンス|라이[선센]스)\s*(?:は|는)"
    # "Nemotron 3のライセンスであるX" ("X, which is Nemotron 3's license"), "의 라이선스인"
    r"|(?<![こそあど])の\s*ライセンスである|(?<![이그저])의\s*라이[선센]스인",
    re.IGNORECASE,
)
# A question or a list of examples talks about licenses in general: no release.
_GENERIC = re.compile(
    r"\be\.\s?g\.|\bfor\s+example\b|\brecommended\s+for\b|\bpredominantly\b"
    r"|\bpatterns?\b|\bin\s+brief\b|\byou\s+(?:must|shall|may|should|plan)\b|\bif\s+you\b"
    r"|\bsuch\s+as\b|\b(?:more|less)\s+(?:permissive|restrictive|open)\s+than\b|\bon\s+par\s+with\b"
    r"|\bexamples?\s*:|\btraditional\s+(?:open[- ]source\s+)?licen[cs]"
    r"|\b(?:comparable|similar|competing|rival)\s+(?:releases|models|offerings)\b"
    # "常见的协议包括 MIT、Apache 2.0 和 GPL 等", "例如", "比如", "诸如": examples
    r"|常见的|例如|比如|诸如"
    # the same in Japanese, Korean, Portuguese, Italian, Polish and Dutch: "例えば", "などの",
    # "典型", "보통" (usually), "예를 들어", "다음과 같다" (as follows), "por exemplo"
    r"|例えば|などの|典型|一般的な|보통|예를\s*들어|다음과\s*같|por\s+exemplo|tais\s+como"
    r"|ad\s+esempio|per\s+esempio|na\s+przykład|takich\s+jak|bijvoorbeeld"
    # the reader's own project: "あなたが…を適用すると", "만약", "se você", "jeśli", "wenn Sie"
    r"|あなた|すると|すれば|당신|만약|경우에는|\bse\s+você\b|\bjeśli\b|\bsi\s+usted\b|\bwenn\s+Sie\b"
    r"|\bals\s+(?:je|u)\b"
    # "published its evaluation of the Llama 3.1 Community License": a text about a license
    r"|\b(?:evaluation|review|analysis|critique|assessment)\s+of\s+(?:the\s+)?[“\"‘]?(?-i:[A-Z])"
    # "Many models are released under ...", "Muitos modelos", "Viele Modelle": models in general
    r"|^\W*(?:many|most|muitos|muitas|muchos|muchas|viele|molti|molte|wiele|veel)\s+(?:[\w-]+\s+){0,4}?"
    r"(?:models|modelos|Modelle|modelli|modeli|modèles|modellen)\b"
    # "unter offenen Lizenzen wie Apache 2.0", "licencias como", "licenças como"
    r"|\b(?:licen[cs]es|Lizenzen|licencias|licenças|licenze|licencj\w+|licenties)\s+"
    r"(?:\w+\s+)?(?:like|wie|como|comme|come|takich|zoals)\b",
    re.IGNORECASE,
)
# "The NVIDIA License is a proprietary license ...": the license is what the sentence is about.
_SUBJECT_LEAD = re.compile(r"(?:[^,]{0,40},\s*)?(?:the)?")
_LICENSE_SUBJECT = re.compile(
    r"\s*(?:\([^)]*\)\s*)?(?:[\w.-]+\s+){0,2}?(?:is|was|are|were|has|have|grants?|permits?"
    r"|requires?|allows?|applies|sets|covers|remains)(?![\w-])|\s*(?:作为|是|正被)",
    re.IGNORECASE,
)
# "The X License establishes the terms ...": what a license does, whatever models it names.
_LICENSE_DESCRIBES = re.compile(
    r"\s*(?:\([^)]*\)\s*)?(?:agreement\s+)?(?:establishes|imposes|prohibits|governs|restricts"
    r"|requires|permits|allows|grants|forbids|defines|lets|contains|stipulates|includes)\b",
    re.IGNORECASE,
)
_ENTRY_LEAD = re.compile(r"(?:^|\n)[ \t]*(?:[-*•|]+[ \t]*)?\**[ \t]*$")
_ENTRY_TAIL = re.compile(r"\**[ \t]*[:：][ \t]")


def _defined_entry(text: str, match: LicenseMatch) -> bool:
    """ "- Apache 2.0: Fully open …": a license defined in a list of licenses."""
    return (
        _ENTRY_LEAD.search(text[: match.start]) is not None
        and _ENTRY_TAIL.match(text, match.end) is not None
    )


_CODE_AND_WEIGHTS = re.compile(
    r"\b(?:(?:source\s+)?code|weights)\s+(?:and|et|y|und)\s+(?:the\s+|its\s+|son\s+|ses\s+|su\s+|sus\s+)?"
    r"(?:model\s+)?(?:weights|(?:source\s+)?code|code\s+source|código)\b"
    r"|\b(?:poids|pesos|Gewichte)\s+(?:et|y|und)\s+(?:son\s+|ses\s+|su\s+|sus\s+|der\s+)?"
    r"(?:code|código|Code)\b|(?:权重|代码)和(?:权重|代码)",
    re.IGNORECASE,
)
# First-person statements belong to the publisher: "we release", "wir veröffentlichen".
_FIRST_PERSON = re.compile(
    r"\b(?:we|our|we're|we've|wir|unser\w*|nous|notre|nos|nosotros|nuestr[oa]s?)\b|我们",
    re.IGNORECASE,
)
# What a license is attached to when it is not a model.
_SOFTWARE_NOUN = (
    r"oprogramowani[ea]|biblioteka|narzędzi[ea]|ferramenta|libreria|strumento|SDK|librar(?:y|ies)|toolkits?|tools?|frameworks?|code\s*base|source\s+code"
    r"|code|repositor(?:y|ies)|repos?|packages?|plugins?|extensions?"
    r"|runtimes?|software|modules|products|harness|database|editor|IDE|Programmcode|Quellcode"
    r"|Bibliothek|Werkzeug|logiciel|bibliothèque|outil|biblioteca|herramienta"
    # "código abierto", "código aberto": open source, not code
    r"|código(?!\s+(?:abierto|aberto))"
)
_APP_NOUN = (
    r"CLI|apps?|applications?|agents?|assistants?|chatbot|Anwendung|application|aplicación"
    r"|aplicativo|aplicação|aplikacj[aię]|applicazione"
)
_DATASET_NOUN = (
    r"datasets?|data\s+sets?|corpus|corpora|training\s+data|benchmarks?|Datensatz"
    r"|jeu\s+de\s+données|conjunto\s+de\s+datos|conjunto\s+de\s+dados|zbi[óo]r\w*\s+danych"
    r"|set\s+di\s+dati|gegevensset"
)
_SUBJECT_NOUN = re.compile(
    rf"(?<![\w-])(?:(?P<app>{_APP_NOUN})|(?P<software>{_SOFTWARE_NOUN})|(?P<dataset>{_DATASET_NOUN}))"
    # "the Free Software Foundation", "the Open Source Initiative": an organisation's name
    r"(?![\w-])(?!\s+(?:Foundation|Council|Initiative|Project|Alliance|Conservancy|Institute"
    r"|Association|Society|Group|Labs?|Inc|Corp|Company)(?![A-Za-z]))|(?P<zh_software>代码仓库|代码|框架|工具|软件"
    # ... and in Japanese and Korean
    r"|ソフトウェア|ライブラリ|ツール|コード|소프트웨어|라이브러리|코드|도구)"
    r"|(?P<zh_dataset>数据集|データセット|데이터셋|데이터\s*세트)|(?P<zh_app>アプリ|앱|애플리케이션)",
    re.IGNORECASE,
)
_CJK = re.compile(r"[\u3400-\u9fff]")
_CJK_BOUNDARY = re.compile(r"(?<=[。！？；])|(?<=[\uac00-\ud7af][.!?])(?=\s)")
# Text whose names may be written in Chinese, Japanese or Korean script ("百度", "カカオ", "카카오")
_CJK_NAMES = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
# How far (characters) a license may follow a change cue and still be what the cue changes.
_CUE_REACH = 60
_NAME_AFTER_VERB = re.compile(
    r"\b(?i:releas\w*|ships?|shipped|launch\w*|publish\w*|open[- ]?sourc(?:es|ed|ing)|unveil\w*"
    r"|introduc\w*|debut\w*|weights\s+of|moves?|switch\w*)\s+(?:its\s+|the\s+|a\s+new\s+"
    r"|new\s+|their\s+)?(?P<m>[A-Z][\w.]*(?:[- ][A-Z0-9][\w.]*){0,2})"
)
_NAME_BEFORE_NOUN = re.compile(
    r"(?P<m>[A-Z][\w.]*(?:[- ][A-Z0-9][\w.]*){0,2})\s+(?:models?|family|weights|checkpoints?)\b"
)
_NOT_A_MODEL = {
    "the",
    "its",
    "our",
    "a",
    "an",
    "both",
    "all",
    "new",
    "open",
    "weights",
    "model",
    "models",
    "it",
    "this",
    "these",
    "their",
    "his",
    "her",
    "under",
    "today",
    "friday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "saturday",
    "sunday",
    "version",
    "license",
    "away",
    "from",
    "to",
    "back",
    "source",
}
_MODEL_NOUN = re.compile(
    r"\b(?:models?|weights|checkpoints?|LLMs?|SLMs?|open[- ]weights?|Modell(?:e|en)?|Gewichte"
    r"|modèles?|poids|modelos?|pesos"
    # Italian, Dutch, Romanian, Indonesian and Russian model nouns
    r"|modell[io]|modellen|modele(?:le)?|modelul|модел[ьиейяюм]\w*)\b|模型|权重|모델|モデル",
    re.IGNORECASE,
)
_MODEL_NOUN_AFTER = re.compile(r"^[\s-]*(?:licen[cs]ed\s+)?(?:models?|weights|checkpoints?)\b")
# A family mentioned as a base model, a competitor or a policy name is not the licensed model.
_REFERENCE_BEFORE = re.compile(
    r"\b(?:powered\s+by|based\s+on|built\s+on|fine-?tuned\s+(?:from|on)|versions?\s+of"
    r"|post-trained\s+from|distilled\s+from|derived\s+from|compared\s+(?:to|with)|than"
    r"|outperform\w*|beat(?:s|ing)?|surpass\w*|rival\w*|vs\.?|versus|like|face\s+à"
    r"|(?:answer|alternative|competitor|response|challenger)s?\s+to"
    r"|tel(?:le)?s?\s+que|frente\s+a|gegenüber|since(?:\s+the\s+release\s+of)?"
    r"|following|successors?\s+(?:to|of)|après|tras|nach\s+(?:dem|der)"
    # "unlike other models such as LLaMA", "a diferencia de otros modelos como LLaMA"
    r"|unlike|a\s+diferencia\s+de(?:\s+otros\s+modelos)?(?:\s+como)?|ao\s+contrário\s+de"
    r"|im\s+Gegensatz\s+zu|à\s+la\s+différence\s+de|diversamente\s+da"
    r"|(?:otros|outros|altri|autres)\s+model\w*\s+(?:como|come|comme))\s+"
    r"(?:our\s+|the\s+|its\s+|their\s+)?$",
    re.IGNORECASE,
)
_LIST_GAP = re.compile(
    r"[\w.\s-]{0,12}?(?:,\s*|\s+(?:and|or|et|ou|y|o|und|oder)\s+|,\s*and\s+|、|和|与)", re.I
)
_REFERENCE_AFTER = re.compile(
    r"^[\w.-]*\s*(?:usage\s+polic|polic|licen[cs]|terms|acceptable\s+use)"
    # "ChatGPT maker OpenAI", "ChatGPT-Macher OpenAI": the organisation, not a model
    r"|^[\s-]*(?:maker|creator|developer|owner|parent|Macher|Entwickler|Hersteller|creador)\b",
    re.IGNORECASE,
)
_PLATFORM_BEFORE = re.compile(
    r"\b(?:on|via|from|through|at|in|with)\s+(?:the\s+)?$"
    r"|\b(?:auf|über|sur|en|dans|desde)\s+(?:der\s+|la\s+|le\s+|el\s+)?(?:[\w-]+\s+)?$"
    r"|(?:platform|plattform|plateforme|plataforma)\s+$"
    r"|\b(?:supported|backed|hosted|funded|sponsored)\s+by\s+(?:the\s+)?$"
    # "auf Plattformen wie Hugging Face", "en la plataforma de desarrollo de IA Hugging Face"
    r"|\b(?:platforms?|Plattform(?:en)?|plataformas?|plateformes?|hubs?)\b[^.;,]{0,30}$"
    # "in collaboration with tech giants like Amazon, Meta ...": partners, not the actor
    r"|\b(?:like|such\s+as|including|collaboration\s+with|partnership\s+with)\s+"
    r"(?:[\w-]+(?:\s+|,\s*|\s+and\s+)){0,4}$",
    re.I,
)
# An organisation the actor registry does not know, as the subject of an announcement:
# "HashiCorp has announced", "The Linux Foundation published", "MongoDB, Inc. announced".
_ORG_SUBJECT = re.compile(
    r"(?:^|[,;:]\s+|\s[-—–]{1,2}\s+|\b(?:that|when|as)\s+)(?:[Tt]he\s+)?"
    r"(?P<org>[A-Z][\w&.-]*(?:\s[A-Z][\w&.-]*){0,2}?)(?:,?\s+Inc\.?)?(?:\s+\([A-Z][\w&.-]{1,10}\))?"
    # "Element, the primary developer behind Synapse—...—switched", "MongoDB — ... — moved"
    r"(?:\s+[—–]\s+[^—–]{1,80}?\s+[—–]|,\s+(?:the|a|an)\s+[^.;]{1,160}?(?:,|[—–]))?\s*(?<=[\s,—–])"
    r"(?:has\s+|have\s+|had\s+|is\s+|are\s+|will\s+)?"
    r"(?:recently\s+|now\s+|just\s+|today\s+|officially\s+|finally\s+)?"
    r"(?i:announced|announces|published|publishes|released|releases|introduced|introduces"
    r"|moved|moves|moving|switched|switches|switching|changed|changes|changing|adopted|adopts"
    r"|adopting|elected|relicensed|relicenses|relicensing|returned|returns|returning|brought"
    r"|added|made|making|decided|transitioned|transitioning|originally|launched|launches"
    r"|updates|updated|unveils|unveiled|start|starts|started)\b"
)
_ORG_STOP = {
    "Today",
    "Now",
    "It",
    "This",
    "They",
    "We",
    "He",
    "She",
    "Then",
    "Also",
    "In",
    "On",
    # people in general are no organisation
    "Someone",
    "Somebody",
    "Anyone",
    "Everyone",
    "Nobody",
    "People",
    "Users",
    "Developers",
    # conjunctions opening a clause
    "While",
    "Although",
    "Though",
    "Because",
    "Since",
    "If",
    "When",
    "As",
    "After",
    "Before",
    "Once",
}
# "... | Mistral AI", "... - Elastic Blog": the byline at the end of a page title.
# A headline that compares or explains licenses: "Llama, Mistral and Qwen licence terms
# compared", "... explained", "X vs Y"
_EXPLAINER = re.compile(
    r"\b(?:compared|comparison|comparing|explained|explainer|vs\.?|versus)(?![\w-])", re.IGNORECASE
)
_TITLE_BYLINE = re.compile(r"\s[|–—-]\s+(?P<org>[A-Z][\w&. ]{1,30}?)(?:\s+(?:Blog|News))?\s*$")
# "All models in the series ...", "The models are ...", "Both ...": every model just named.
# "Furthermore, both ...": a discourse adverb before the sentence's subject
_LEAD = (
    r"^\W*(?:(?:Furthermore|Moreover|Additionally|Also|In\s+addition|Importantly|Notably),?\s+)?"
)
_PLURAL_START = re.compile(
    _LEAD + r"(?:(?i:all|both|ambos|ambas|entrambi|entrambe|beide|oba|obie)\b"
    r"|(?:The|These|Those|Its|Their)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:models|variants|versions|checkpoints|weights)\b|They\b|它们|这些模型)"
)
_SIBLING = re.compile(
    r"(?:,\s+|\b)(?:while|whereas|and|but)\s+(?:the\s+)?(?P<w>[A-Z][a-z]+)\s+"
    r"(?:is|are|was|has|comes|offers|runs|ships|targets)\b"
)
_LIST_INTRO = re.compile(r"\b(?:includ\w*|compris\w*|variants|members|tiers)\b|:", re.I)
_APPLIES_TO = re.compile(
    r"^\W*(?:The|This|That)\s+(?:transition|change|move|switch|shift|relicens\w*|new\s+licen[cs]e)"
    r"\s+(?:applies|covers|includes|affects|extends)\b"
)
_PRONOUN_START = re.compile(
    _LEAD + r"(?:(?:It|They|Both|All|Each|These|Those|(?-i:both|all))\b|它们|它|该模型|这些模型"
    # "Ambas versiones", "Les deux", "Entrambi i modelli", "Beide Modelle"
    r"|(?i:ambos|ambas|les\s+deux|entrambi|entrambe|beide|oba|obie)\b"
    # "Todos ellos", "Tutti i modelli", "Tous les modèles", "Alle Modelle", "Все модели"
    r"|(?i:todos|todas|tutti|tutte|tous|toutes|alle|все|wszystkie)\b"
    # "Totul e publicat pe GitHub", "Tudo é publicado", "Tutto è rilasciato", "Всё"
    r"|(?i:totul|tudo|tutto|alles|всё)\b"
    # "此次开源采用 Apache 2.0": "this release" in Chinese, simplified and traditional
    r"|此次|本次|这次|這次|該模型|這些模型)"
)
# "Mistral AI offers both models under ...": every model just named
_PLURAL_OBJECT = re.compile(
    r"\b(?:both|all)\s+(?:(?:of\s+)?(?:the|its|their)\s+)?(?:[\w-]+\s+)?models\b", re.I
)
_UNLISTED = re.compile(
    r"\b([A-Z][\w.+]*[\s-]+(?:(?:[A-Z][\w.+]*|\d+(?:\.\d+)*)[\s-]+){0,3})Licen[cs]e(?:\s+Agreement)?\b"
    r"(?!\s+(?i:plan|key|fee|change|faq|update|file|compliance|server|manager|text|model"
    r"|generator|checker|scanner|wizard|chooser|picker|selector)s?\b)"
)
_UNLISTED_STOP = {
    "dual",
    "the",
    "this",
    "that",
    "a",
    "an",
    "our",
    "its",
    "their",
    "new",
    "open",
    "source",
    "creative",
    "commons",
    "custom",
    "commercial",
    "proprietary",
    "permissive",
    "software",
    "contributor",
    "public",
    "end",
    "user",
    "general",
    "standard",
    "under",
    "with",
    "and",
    "same",
    "community",
    "enterprise",
    "free",
    "modified",
    "restrictive",
    "usage",
    "use",
    "model",
    "terms",
    "research",
    "copyleft",
    "weak",
    "strong",
    "non-commercial",
    "noncommercial",
    "fair-code",
    "improved",
    "updated",
    "current",
    "previous",
    "original",
}
_TOKEN = re.compile(
    # "FLUX" + ".2": a version glued on with a dot
    r"(?:\.(?=\d)|[ \t]*[-_ \u2011]?[ \t]*)"
    r"([A-Za-z]+\d*[A-Za-z]*|\d+x\d+(?:\.\d+)?[Bb]|\d+(?:\.\d+)*[A-Za-z]{0,3})"
)
# Parameter sizes (8B, 1.5B, 120b, 270M, A3B, 8x7B, e4b) collapse; versions (3.1, V4.1, H2,
# 2505) are kept, because licenses change between versions of one family.
_SIZE = re.compile(
    r"^(?:\d+(?:\.\d+)?[BbMmKkTt]|[Aa]\d+(?:\.\d+)?[Bb]|\d+x\d+(?:\.\d+)?[Bb]|[Ee]\d+[Bb])$"
)
_ALIAS_MODEL = re.compile(r"[ -]([A-Za-z]*\d[\w.]*|[A-Z][a-z]+)(?![\w'’])")
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_VERSION = re.compile(r"^(?:[vV]?\d+(?:\.\d+)*[a-z]?|[A-Z]\d+(?:\.\d+)*[a-z]?)$")


@dataclasses.dataclass(frozen=True, slots=True)
class LicenseInfo:
    """One row of the license table."""

    id: str
    name: str
    forms: tuple[str, ...]
    commercial_use: bool
    osi_approved: bool
    restrictions: tuple[str, ...]
    actor: str | None = None  # the organisation that publishes a vendor license
    modified_id: str | None = None
    scancode: str | None = None
    #: the license this one is when an acceptable use policy is attached to it
    #: ("CC-BY-NC, requires also adhering to C4AI's Acceptable Use Policy")
    policy_of: str | None = None
    #: the organisation that writes and versions a general license text (the actor of a
    #: new version when the text names none; never the actor of a release under it)
    steward: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class LicenseMatch:
    """A license mentioned in a sentence (offsets relative to that sentence)."""

    id: str
    start: int
    end: int
    text: str
    listed: bool = True  # False for an unlisted "<Name> License" turned into LicenseRef-<Name>


@dataclasses.dataclass(frozen=True, slots=True)
class LicenseTable:
    """The license table with its compiled surface-form patterns."""

    licenses: tuple[LicenseInfo, ...]
    keep_words: frozenset[str]
    drop_words: frozenset[str]
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    trigger: re.Pattern[str]
    #: per pattern, the lower-cased longest word of each form: one must occur in a sentence
    #: for the pattern to match, so most patterns are skipped without running them
    keys: tuple[tuple[str, ...], ...] = ()
    #: (organisation, pattern, id): a vendor license named without the vendor ("a revamped
    #: Community License" in a sentence naming Stability AI)
    vendor_forms: tuple[tuple[str, re.Pattern[str], str], ...] = ()
    #: every key of ``keys`` once, looked up once per sentence, with the patterns (by
    #: index) it lets run
    by_key: Mapping[str, tuple[int, ...]] = dataclasses.field(default_factory=dict)
    #: Chinese names of model families and organisations ("文心" -> ERNIE, "百度" -> Baidu)
    cjk_families: tuple[tuple[str, str], ...] = ()
    cjk_organisations: tuple[tuple[str, str], ...] = ()

    def _versioned(self, sentence: str, match: LicenseMatch) -> LicenseMatch:
        """A versionless form followed by a version ("OpenMDW 1.2") names that version."""
        return _with_version(self, match, sentence)

    def _with_policy(self, sentence: str, match: LicenseMatch) -> LicenseMatch:
        """A license followed in its sentence by an acceptable use policy becomes the table's
        license-plus-policy entry for it, when the table has exactly one."""
        combined = [i.id for i in self.licenses if i.policy_of == match.id]
        if len(combined) != 1 or not _POLICY_AFTER.match(sentence, match.end):
            return match
        return dataclasses.replace(match, id=combined[0])

    def get(self, license_id: str) -> LicenseInfo | None:
        """The table row for ``license_id``, or None."""
        for info in self.licenses:
            if info.id == license_id:
                return info
        return None

    def _named_owner_first(self, found: list[LicenseMatch]) -> list[LicenseMatch]:
        """A vendor's generic form inside a longer unlisted name that another organisation
        leads ("Databricks Open Model License" holds NVIDIA's bare "Open Model License")
        names the other organisation's license."""
        unlisted = [u for u in found if not u.listed]
        if not unlisted:
            return found
        out = []
        for match in found:
            info = self.get(match.id) if match.listed else None
            owner = info.actor if info else None
            if owner and any(
                u.end == match.end
                and u.start < match.start
                and owner.lower() not in u.text.lower()
                and not _UNLISTED_STOP_WORDS.fullmatch(u.text[: match.start - u.start].strip())
                for u in unlisted
            ):
                continue
            out.append(match)
        return out

    def _version_of(self, sentence: str, match: LicenseMatch) -> LicenseMatch:
        """ "Version 2.0 der Elastic-Lizenz", "version 3 of the Foo License": a versionless
        listed license named with a version before it is the listed version."""
        version = _VERSION_OF_BEFORE.search(sentence, 0, match.start)
        info = self.get(match.id) if match.listed else None
        if version is None or info is None or _ID_VERSION.search(match.id):
            return match
        name = re.sub(r"\s*\([^)]*\)", "", info.name)
        found = [x for x in self.find(f"{name} {version.group(1)}") if x.listed]
        if len(found) == 1 and found[0].id != match.id:
            return dataclasses.replace(match, id=found[0].id)
        return match

    def _with_condition(self, sentence: str, found: list[LicenseMatch]) -> list[LicenseMatch]:
        """A license followed by "with Commons Clause" is the table's combined entry for the
        pair ("Apache v2.0, now with Commons Clause" -> the Apache-2.0 + Commons Clause
        license), when the table has one."""
        out: list[LicenseMatch] = []
        for match in found:
            if out and match.id == _COMMONS_CLAUSE:
                base = out[-1]
                stem = base.id.removeprefix("LicenseRef-")
                combined = self.get(f"LicenseRef-{stem}-Commons-Clause")
                gap = _CONDITION_GAP.fullmatch(sentence, base.end, match.start)
                if combined is not None and gap is not None:
                    out[-1] = LicenseMatch(
                        combined.id, base.start, match.end, sentence[base.start : match.end]
                    )
                    continue
            out.append(match)
        return out

    @property
    def _by_lower_id(self) -> dict[str, LicenseInfo]:
        return {i.id.lower(): i for i in self.licenses}

    def _card_fields(self, sentence: str, found: list[LicenseMatch]) -> list[LicenseMatch]:
        """Licenses of a model card's metadata lines: ``license: mit`` (an SPDX id in any
        case) and ``license_name: yi-license`` (a name the forms do not know becomes
        ``LicenseRef-Yi-License``)."""
        out = []
        for m in _CARD_FIELD.finditer(sentence):
            value = m.group("v")
            start, end = m.start("v"), m.end("v")
            if any(f.start < end and start < f.end for f in found):
                continue
            if m.group("field") != "license_name":
                info = self._by_lower_id.get(value.lower())
                if info is not None:
                    out.append(LicenseMatch(info.id, start, end, value))
            elif value.lower() not in ("other", "unknown", "license"):
                words = [w for w in re.split(r"[-_.\s]+", value) if w]
                ref = "LicenseRef-" + "-".join(w[:1].upper() + w[1:] for w in words)
                out.append(LicenseMatch(ref, start, end, value, listed=False))
        return out

    def find(self, sentence: str) -> list[LicenseMatch]:
        """License mentions in ``sentence``: longest first on overlap, in text order.

        "Based on X" mentions are mapped to X's modified id, or dropped when the sentence
        names another license (the one that is based on X). Unlisted ``<Name> License``
        mentions become ``LicenseRef-<Name>``.
        """
        if not self.trigger.search(sentence):
            return []
        # a link target ("[CC-BY-NC](https://cohere.com/c4ai-cc-by-nc-license)") is no mention
        sentence = _URL.sub(lambda m: " " * len(m.group(0)), sentence)
        found: list[LicenseMatch] = []
        low = sentence.lower()
        if self.keys:
            # only the patterns one of whose keys the sentence holds, in table order
            wanted: set[int] = set()
            for key, patterns in self.by_key.items():
                if key in low:
                    wanted.update(patterns)
            order: Iterable[int] = sorted(wanted)
        else:
            order = range(len(self.patterns))
        for n in order:
            license_id, pattern = self.patterns[n]
            for m in pattern.finditer(sentence):
                start = _license_start(m)
                found.append(LicenseMatch(license_id, start, m.end(), sentence[start : m.end()]))
        for m in _UNLISTED.finditer(sentence):
            words = re.split(r"[\s-]+", m.group(1).strip())
            while words and words[0].lower() in _UNLISTED_STOP:
                words.pop(0)
            while words and words[-1].lower() in ("and", "or", "the"):
                words.pop()
            if not words:
                continue
            ref = "LicenseRef-" + "-".join(re.sub(r"[^\w.]", "", w) for w in words)
            version = _VERSION_OF_BEFORE.search(sentence, 0, m.start(1))
            if version is not None:
                # "version 3 of the GNU General Public License": the listed version's id
                named = " ".join(m.group(0).split()) + " version " + version.group(1)
                listed = [x for x in self.find(named) if x.listed]
                if len(listed) == 1 and listed[0].start == 0:
                    found.append(
                        LicenseMatch(listed[0].id, m.start(1), m.end(), m.group(0), listed=True)
                    )
                    continue
            found.append(LicenseMatch(ref, m.start(1), m.end(), m.group(0), listed=False))
        found += self._card_fields(sentence, found)
        found = self._named_owner_first(found)
        found = _named_family_first(found)
        # listed licenses first, then the longest match wins an overlap
        kept: list[LicenseMatch] = []
        for match in sorted(found, key=lambda x: (not x.listed, x.start - x.end, x.start)):
            if all(match.end <= k.start or match.start >= k.end for k in kept):
                kept.append(match)
        # a vendor license named without its vendor counts only where no form matched
        for owner, pattern, license_id in self.vendor_forms:
            if owner in sentence:
                for m in pattern.finditer(sentence):
                    overlap = [k for k in kept if not (m.end() <= k.start or m.start() >= k.end)]
                    if (
                        overlap
                        and _owned_by(sentence, owner, m.start())
                        and all(k.id in _FAMILY_IDS for k in overlap)
                    ):
                        # "Microsoft's research license": the vendor's own text, not the
                        # research-only family the words alone would name
                        kept = [k for k in kept if k not in overlap]
                        overlap = []
                    if not overlap:
                        kept.append(LicenseMatch(license_id, m.start(), m.end(), m.group(0)))
        kept.sort(key=lambda x: x.start)
        merged: list[LicenseMatch] = []
        for k in kept:
            if (
                merged
                and not merged[-1].listed
                and k.listed
                and _ABBREVIATION_GAP.fullmatch(sentence[merged[-1].end : k.start])
            ):
                # "Community Data License Agreement (CDLA-Permissive-2.0)": the listed
                # abbreviation names the license the spelled-out name describes
                k = dataclasses.replace(k, start=merged[-1].start)
                merged[-1] = k
                continue
            merged.append(k)
        kept = [
            self._with_policy(sentence, self._versioned(sentence, self._version_of(sentence, k)))
            for k in merged
        ]
        kept = self._with_condition(sentence, kept)
        based = [bool(_BASED_ON.search(sentence[max(0, k.start - 40) : k.start])) for k in kept]
        out: list[LicenseMatch] = []
        for match, is_based in zip(kept, based, strict=True):
            if (
                out
                and out[-1].id == match.id
                and _ABBREVIATION_GAP.fullmatch(sentence[out[-1].end : match.start])
            ):
                continue  # "Server Side Public License (SSPLv1)": one mention
            if _BASED_AFTER.match(sentence, match.end):
                is_based = True
            if not is_based:
                out.append(match)
                continue
            if not all(based):
                continue  # describes the origin of another license named in the sentence
            info = self.get(match.id)
            modified = (info.modified_id if info else None) or f"LicenseRef-Modified-{match.id}"
            out.append(dataclasses.replace(match, id=modified))
        return out


_COMMONS_CLAUSE = "LicenseRef-Commons-Clause"
# licenses named only by their family ("a research license"); a vendor's possessive before
# the words names the vendor's own text instead
_FAMILY_IDS = frozenset({"LicenseRef-Research-Only", "LicenseRef-Non-Commercial"})


def _named_family_first(found: list[LicenseMatch]) -> list[LicenseMatch]:
    """A family of terms inside a longer license name that a name leads ("Cambrian
    Non-Commercial License Agreement") is that named license, not the family."""
    unlisted = [u for u in found if not u.listed]
    if not unlisted:
        return found
    return [
        match
        for match in found
        if not (
            match.id in _FAMILY_IDS
            and any(
                u.start < match.start
                and match.end <= u.end
                and not _UNLISTED_STOP_WORDS.fullmatch(u.text[: match.start - u.start].strip())
                for u in unlisted
            )
        )
    ]


def _owned_by(sentence: str, owner: str, start: int) -> bool:
    """Whether the words at ``start`` follow ``owner``'s possessive ("Microsoft's own ")."""
    before = sentence[max(0, start - 60) : start]
    return re.search(rf"\b{re.escape(owner)}['’]s\s+(?:own\s+)?$", before) is not None


_COMPARED_BEFORE = re.compile(
    r"\b(?:competitive\s+with|compared?\s+(?:to|with)|outperform\w*|rival(?:s|ing)?|beat(?:s|ing)?"
    r"|vs\.?|versus|than|on\s+par\s+with|match(?:es|ing)|against"
    r"|compet\w*\s+con|frente\s+a|rivali\w*\s+avec|concurren\w*|face\s+à"
    r"|gegen|since|seit|depuis)\s+(?:the\s+|el\s+|la\s+|le\s+|die\s+|der\s+|[\w.]+['’]s\s+)?"
    r"(?:(?:reconocido|famoso|célèbre)\s+)?(?:(?:modelo|modèle|Modell)\s+(?:de\s+|d['’]\s*)?)?$",
    re.IGNORECASE,
)
# A model card's metadata line: "license: mit", "| | license_name: modified-mit |", and the
# Chinese field names of model-hub pages ("开源协议: mit", "许可协议：apache-2.0").
_CARD_FIELD = re.compile(
    r"(?m)^[\s|]*(?P<field>license|license_name|开源协议|许可协议|开源许可证?|许可证)"
    r"\s*[:：]\s*(?P<v>[A-Za-z][\w.+-]*)\s*\|?\s*$"
)
# "Apache v2.0, now with Commons Clause attached", "Apache v2.0,并附加了 Commons Clause": a
# license condition added to the license named just before it.
_CONDITION_GAP = re.compile(
    r"\s*[,，]?\s*(?:(?:now|but|and)\s+)?(?:with|plus|and|\+|[并並]?附加了?|[并並]?加上了?)\s*"
    r"(?:the\s+|an?\s+)?",
    re.IGNORECASE,
)
_UNLISTED_STOP_WORDS = re.compile(r"(?:the|a|an|its|their|our|this|new)?", re.IGNORECASE)
_VERSION_OF_BEFORE = re.compile(
    r"\b(?:version|versión|versão|versione|wersj[aię])\s+(\d+(?:\.\d+)*)\s+(?:of\s+(?:the\s+)?|der\s+"
    r"|des\s+|de\s+(?:la\s+)?|d[ao]\s+|della\s+)(?:licen[cç]a\s+|licencia\s+|licenza\s+)?$",
    re.I,
)
_WITH_MARK = re.compile(r"\b(?:with|by)\s+(?:the\s+|an?\s+)?$", re.IGNORECASE)
# "AGPL was replaced with the SSPL": the license before the verb is the one left behind.
_REPLACED_AFTER = re.compile(
    r"\s*(?:\([^)]*\)\s*)?(?:was|were|is|are|has\s+been|have\s+been|being)\s+replaced\b", re.I
)
# Japanese and Korean mark the license a change leaves after it: "XからYに", "X에서 Y로".
_FROM_AFTER = re.compile(r"\s*(?:ライセンス|라이[선센]스)?\s*(?:から|より|에서)")
# "(Apache to SSPL)", "AGPL → SSPL": the first license of the pair is the one left behind.
_PAIR_GAP = re.compile(
    r"\s*(?:to|→|->|=>|zu|à|a|para|naar|na|op)\s+(?:the\s+|la\s+|der\s+|o\s+|de\s+)?", re.IGNORECASE
)
# "from non-commercial to Apache 2.0": the license right after "to" is the new one.
_TO_MARK = re.compile(
    r"(?:(?<!goodbye\s)(?<!farewell\s)\bto|\bzu|\bzur|\bzum|\bauf|\bà|\bal|\bpor|\bpara|\bnaar|为|至)"
    r"\s*(?:the\s+|an?\s+|la\s+|der\s+|die\s+|den\s+|o\s+)?$",
    re.I,
)
# "with a 36-month conversion time to Apache-2.0", "alongside its existing RSALv2": licenses a
# change does not move to.
_NOT_TARGET = re.compile(
    r"\bconver\w*\s+(?:[\w-]+\s+){0,3}?(?:to|into)\s+(?:the\s+)?$"
    # "The client SDKs will remain under Apache v2": what does not change
    r"|\b(?:remains?|stays?|continues?\s+to\s+be|kept)\s+(?:\w+\s+){0,2}?(?:under|with)\s+"
    r"(?:the\s+)?(?:[\w-]+\s+){0,2}$"
    r"|\brevert\w*\s+(?:[\w-]+\s+){0,3}?to\s+(?:the\s+)?$"
    r"|\b(?:alongside|in\s+addition\s+to|besides)\s+(?:its\s+|the\s+|their\s+)?(?:existing\s+)?"
    r"(?:[\w-]+\s+(?:and\s+)?){0,3}$",
    re.IGNORECASE,
)
_URL = re.compile(r"\bhttps?://[^\s)\]>]+|\]\([^)\s]*\)")
_POLICY_AFTER = re.compile(r"[^.;\n]{0,120}?\bacceptable\s+use\s+polic", re.IGNORECASE)
_ABBREVIATION_GAP = re.compile(r"\s*[(\[]\s*")
# "an Apache-based license", "在OpenRAIL许可证基础上修改": based on, after the name.
_BASED_AFTER = re.compile(
    r"[\s-]*(?:based|derived)\b|\s*(?:许可证?|协议)?\s*基础上"
    # "eine auf Apache 2.0 basierende Lizenz", "Apache 2.0をベースに", "Apache 2.0 기반의"
    r"|[\s-]*basier\w*|\s*(?:を|の)?\s*(?:ベース|基に|元に|に基づ)|\s*기반",
    re.I,
)
_FORM_SIZE = re.compile(r"(?:(?<=[ -])([A-Z])|[ -])\d+(?:\.\d+)?[BbMm]$")
_LETTER_SIZE = re.compile(r" ([A-Z])(?=\d+(?:\.\d+)?[BbMm](?![\w+]))")
_LETTER_VARIANT = re.compile(r"([ -])([A-Z]\+?)(?![\w+])")
_BRACKET_VARIANT = re.compile(r"[ \t]?\[([A-Za-z][\w-]{0,15})\]")
_VERSION_AFTER = re.compile(r"[\s\-‑]*[vV]?(\d+(?:\.\d+)+)(?![\w.])")
_ID_VERSION = re.compile(r"-(\d+(?:\.\d+)*)$")


_ID_INNER_VERSION = re.compile(r"-(\d+(?:\.\d+)*)-")


def _plain_version(version: str) -> str:
    """ "3.0" and "3" are one version."""
    return re.sub(r"(?:\.0)+$", "", version)


def license_stem(license_id: str) -> str:
    """A license id without ``LicenseRef-`` and without its version (``OpenMDW``)."""
    return _ID_VERSION.sub("", license_id.removeprefix("LicenseRef-"))


def _with_version(table: LicenseTable, match: LicenseMatch, sentence: str) -> LicenseMatch:
    if any(ch.isdigit() for ch in match.text):
        return match
    m = _VERSION_AFTER.match(sentence, match.end)
    if m is None:
        return match
    if not _ID_VERSION.search(match.id):
        # "AGPL v3.0": the version the id already holds ("AGPL-3.0-only") is part of the name
        inner = _ID_INNER_VERSION.search(match.id)
        if inner is not None and _plain_version(inner.group(1)) == _plain_version(m.group(1)):
            return dataclasses.replace(match, end=m.end(), text=sentence[match.start : m.end()])
        return match
    stem, version = license_stem(match.id), m.group(1)
    known = table.get(f"{stem}-{version}") or table.get(f"LicenseRef-{stem}-{version}")
    new_id = known.id if known else f"LicenseRef-{stem}-{version}"
    return dataclasses.replace(match, id=new_id, end=m.end(), text=sentence[match.start : m.end()])


# What may name "license" right after a license's name, in the languages Lumi reads:
# "Apache-2.0-Lizenz", "MIT 许可证", "Apache 2.0 协议".
_LICENSE_WORD = (
    r"licen[cs](?:e|ed|ing)?\b|lizenz(?!iert)\w*|licencia\b|lesen\b|lisensi\b"
    # "licença MIT", "licencji Apache 2.0", "licenza Apache 2.0", "licentie", "Apache
    # 2.0ライセンス", "MIT 라이선스"
    r"|licen[cç]a\b|licencj[aię]\b|licenz[ae]\b|licentie\b|ライセンス|라이[선센]스"
    r"|许可证?|协议|授权|許可證?|協議|授權"
    # Russian "лицензия Apache 2.0", Romanian "licență MIT"
    r"|лицензи[яиейюя]\w*|licen[țţ][aăe]\b"
)
# Where a short form ("MIT", "Apache") counts without a following "license": right after
# "under (the)", "unter (der)", "sous (la) licence", "bajo (la) licencia", "采用" ...
_UNDER_LOOKBEHIND = (
    r"(?:(?<=\bunder\s)|(?<=\bunter\s)|(?<=\bsous\s)|(?<=\bbajo\s)|(?<=\blicence\s)"
    r"|(?<=\blicense\s)|(?<=\blicencia\s)|(?<=\bLizenz\s)|(?<=采用)|(?<=使用)|(?<=遵循)"
    r"|(?<=\blicense:\s)|(?<=\blicence:\s)|(?<=\bLizenz:\s)|(?<=\blicencia:\s)"
    r"|(?<=采用\s)|(?<=使用\s)|(?<=遵循\s)"
    # "sob a licença MIT", "na licencji MIT", "sotto licenza MIT", "onder de MIT-licentie",
    # "ライセンスはMIT", "라이선스는 MIT"
    r"|(?<=\bsob\s)|(?<=\bsotto\s)|(?<=\bonder\s)|(?<=\blicença\s)|(?<=\blicenza\s)"
    r"|(?<=\blicencji\s)|(?<=\blicencja\s)|(?<=\blicentie\s)|(?<=ライセンスは)|(?<=ライセンス「)"
    r"|(?<=ライセンスは\s)|(?<=라이선스는\s)"
    # "лицензией MIT", "лицензию AGPLv3", "cu licență MIT"
    r"|(?<=лицензия\s)|(?<=лицензии\s)|(?<=лицензией\s)|(?<=лицензию\s)|(?<=licență\s))"
    r"(?:the\s+|an?\s+|der\s+|die\s+|la\s+|le\s+|el\s+|de\s+|licen[cs]e\s+|licencia\s+"
    r"|Lizenz\s+|licen[cç]a\s+|licenza\s+|licencji\s+"
    # "una licencia abierta MIT", "licença aberta", "licenza open source AGPL"
    r"|abiert[ao]\s+|abert[ao]\s+|apert[ao]\s+|libre\s+|open[\s-]source\s+)*"
)
# "Apache-style", "MIT-like": a description of terms, never the license itself.
_NOT_STYLE = (
    r"(?![\s\-]*(?:style|like|type|ish|esque|inspired|artige?n?)\b)"
    # "the Rail License Generator", "a license checker": a tool named after licenses
    r"(?![\s\-]*(?:generator|checker|scanner|wizard|chooser|picker|selector)s?\b)"
    # "OpenRAIL系", "Apache 계열": a family of licenses like it
    r"(?![\s\-]*(?:系|계열))"
)


def _form_regex(form: str) -> str:
    chunks = [c for c in re.split(r"[\s\-_]+", form.strip()) if c]
    # "Apache‑2.0" is often written with a non-breaking hyphen (U+2011); "Business Source
    # Licence" is the British spelling of "Business Source License"
    return r"[\s\-_\u2010\u2011]*".join(
        r"licen[cs]e" if c.lower() in ("license", "licence") else re.escape(c) for c in chunks
    )


def _compile(forms: Sequence[dict[str, Any]]) -> re.Pattern[str]:
    """One alternation for a license's forms; each ``lic<N>`` group marks the license proper
    (without a leading "under the")."""
    alternatives = []
    suffix = rf"(?:[\s\-]*(?:{_LICENSE_WORD}))"
    for n, spec in enumerate(sorted(forms, key=lambda f: len(f["form"]), reverse=True)):
        core = _form_regex(spec["form"])
        if spec.get("case") == "exact" or len(spec["form"]) <= 4:
            core = f"(?-i:{core})"
        if spec.get("bare", True):
            alternatives.append(rf"(?P<lic{n}a>{core}){suffix}?")
        else:
            # only right after "under (the)" or right before "license(d)"
            alternatives.append(rf"{_UNDER_LOOKBEHIND}(?P<lic{n}a>{core})(?![A-Za-z0-9_])")
            alternatives.append(rf"(?P<lic{n}b>{core}){suffix}")
            # the two ends of a change: "from Apache to ...", "(Apache to SSPL)", "... to
            # MIT.", "as AGPLv3 rather than Apache."
            alternatives.append(rf"(?:(?<=\bfrom\s)|(?<=\())(?P<lic{n}c>{core})(?=\s+to\s)")
            # a license alone in parentheses ("Gratis (MIT)"), not the institute's acronym
            alternatives.append(rf"(?<=\()(?<!Technology\s\()(?P<lic{n}e>{core})(?=\))")
            # a field of its own in a catalogue line or a table row ("14B; MIT; ...",
            # "| MIT |")
            alternatives.append(rf"(?:(?<=;\s)|(?<=\|\s))(?P<lic{n}f>{core})(?=[ \t]*(?:[;|]|$))")
            # ... and in the other languages: "a MIT.", "auf MIT.", "op MIT." ("in MIT," is
            # also where people study)
            alternatives.append(
                rf"(?:(?<=\bto\s)|(?<=\bthan\s)|(?<=\ba\s)|(?<=\bal\s)|(?<=\bpara\s)"
                rf"|(?<=\bauf\s)|(?<=\bzu\s)|(?<=\bop\s)|(?<=\bnaar\s)|(?<=\bna\s))"
                rf"(?P<lic{n}d>{core})(?=\s*(?:$|[).,;:!?]|um\b))"
            )
    body = "|".join(alternatives)
    return re.compile(
        rf"(?<![A-Za-z0-9_.])(?:{body})(?![A-Za-z0-9_])(?!\.\d){_NOT_STYLE}", re.IGNORECASE
    )


def _license_start(m: re.Match[str]) -> int:
    for name, value in m.groupdict().items():
        if value is not None and name.startswith("lic"):
            return m.start(name)
    return m.start()


_VERSIONED_OWNER = re.compile(r"^(?:Meta\s+)?[A-Z][\w.]*\s+\d+(?:\.\d+)*\s")


def load_license_table(path: Path = DATA_PATH) -> LicenseTable:
    """Read and validate the license table YAML.

    Raises:
        ClassifierNotConfigured: the file is missing or an entry lacks a required field.
    """
    data = read_knowledge(path, "licenses", "license table")
    licenses = []
    patterns = []
    triggers = {
        r"licen[cs]",
        "lizenz",
        "许可",
        "协议",
        "許可",
        "協議",
        "ライセンス",
        "라이[선센]스",
    }
    triggers |= {"licença", "licenz", "licentie"}
    keys: list[tuple[str, ...]] = []
    for index, entry in enumerate(data["licenses"]):
        where = f"{path.name} license #{index} ({entry.get('id', '?')})"
        for field in ("id", "name", "forms", "commercial_use", "osi_approved", "restrictions"):
            if field not in entry:
                raise ClassifierNotConfigured(f"{where}: field '{field}' is required")
        specs = [{"form": f} if isinstance(f, str) else dict(f) for f in entry["forms"]]
        form_keys = []
        for spec in specs:
            word = _key_word(spec["form"])
            form_keys.append(word.lower())
            words = re.split(r"[\s\-_]+", spec["form"].strip())
            if not any(re.match(r"licen[cs]|lizenz|许可", w, re.I) for w in words):
                chunk = re.escape(word)
                exact = spec.get("case") == "exact" or len(spec["form"]) <= 4
                triggers.add(f"(?-i:{chunk})" if exact else chunk)
        licenses.append(
            LicenseInfo(
                id=str(entry["id"]),
                name=str(entry["name"]),
                forms=tuple(s["form"] for s in specs),
                commercial_use=bool(entry["commercial_use"]),
                osi_approved=bool(entry["osi_approved"]),
                restrictions=tuple(str(r) for r in entry["restrictions"] or ()),
                actor=entry.get("actor"),
                modified_id=entry.get("modified_id"),
                scancode=entry.get("scancode"),
                policy_of=entry.get("policy_of"),
                steward=entry.get("steward"),
            )
        )
        patterns.append((str(entry["id"]), _compile(specs)))
        keys.append(tuple(dict.fromkeys(form_keys)))
    names = data.get("model_names") or {}
    vendor_forms = []
    for info in licenses:
        # "Stability AI Community License" named "a Community License" beside "Stability AI";
        # "Llama 3.1 Community License" named "a community license" beside "Llama 3.1"
        owner = _VERSIONED_OWNER.match(info.name)
        if info.actor and info.name.lower().startswith(info.actor.lower() + " "):
            key = info.actor
        elif info.actor and owner is not None:
            key = owner.group(0).strip()
        else:
            continue
        generic = re.sub(r"\s+Agreement$", "", info.name[len(key) :].strip())
        words = generic.split()
        if len(words) >= 2 and words[-1] == "License" and not any(c.isdigit() for c in generic):
            pattern = re.compile(
                rf"(?<![\w-]){_form_regex(generic)}(?:\s+Agreement)?(?![\w-])", re.IGNORECASE
            )
            # "the Mistral model ... ships under a non-production license": the organisation
            # named without its "AI"
            for name in dict.fromkeys((key, key.removesuffix(" AI"))):
                vendor_forms.append((name, pattern, info.id))
    # the longest name first: "Llama 3.1" before "Llama 3" when both are in the sentence
    vendor_forms.sort(key=lambda v: len(v[0]), reverse=True)
    trigger = re.compile(
        r"(?<![A-Za-z0-9_])(?:" + "|".join(sorted(triggers, key=len, reverse=True)) + ")",
        re.IGNORECASE,
    )
    return LicenseTable(
        licenses=tuple(licenses),
        keep_words=frozenset(str(w).lower() for w in names.get("keep", [])),
        cjk_families=tuple((str(k), str(v)) for k, v in (names.get("cjk_families") or {}).items()),
        cjk_organisations=tuple(
            (str(k), str(v)) for k, v in (names.get("cjk_organisations") or {}).items()
        ),
        drop_words=frozenset(str(w).lower() for w in names.get("drop", [])),
        patterns=tuple(patterns),
        trigger=trigger,
        keys=tuple(keys),
        vendor_forms=tuple(vendor_forms),
        by_key=_patterns_by_key(keys),
    )


def _key_word(form: str) -> str:
    """The word of a license form that keys it (every match of the form holds it): the
    first word, unless that is a number or a common word ("3" in "3-clause BSD", "open" in
    "Open RAIL-M"); then the form's longest other word, which few sentences hold, so the
    form's pattern is rarely run for nothing."""
    words = [w for w in re.split(r"[\s\-_]+", form.strip()) if w]
    if len(words) == 1 or not (words[0].isdigit() or words[0].lower() in _COMMON_FIRST):
        return words[0]
    others = [w for w in words[1:] if not re.match(r"licen[cs]|lizenz", w, re.I)]
    best = max(others, key=len, default="")
    # "modified MIT": "mit" is in more sentences than "modified"
    return best if len(best) >= 4 else words[0]


# first words of license forms that many sentences hold
_COMMON_FIRST = frozenset({"open", "version", "modified", "conditions", "new", "general"})


def _patterns_by_key(keys: Sequence[Sequence[str]]) -> dict[str, tuple[int, ...]]:
    by_key: dict[str, list[int]] = {}
    for n, ks in enumerate(keys):
        for key in ks:
            by_key.setdefault(key, []).append(n)
    return {key: tuple(ns) for key, ns in by_key.items()}


def model_name(family: str, following: str, table: LicenseTable) -> str:
    """The model name for a family mention followed by ``following`` text.

    Parameter sizes (``8B``, ``120b``, ``A3B``) and tuning suffixes (``Instruct``) are
    dropped; version numbers and the variant words of the table (``Small``, ``Realtime``)
    are kept, with the separators as written: ``("Devstral", " Small 2 is")`` ->
    ``"Devstral Small 2"``, ``("gpt-oss", "-120b")`` -> ``"gpt-oss"``,
    ``("Llama", "-3.1-8B-Instruct")`` -> ``"Llama-3.1"``.
    """
    out = _FORM_SIZE.sub(r"\1", family)  # a registry form with a size: "Command R7B"
    pos = 0
    variant = _LETTER_VARIANT.match(following)
    letter = _LETTER_SIZE.match(following)
    if variant is not None:
        # "Command A", "Command R+", "Command-R": a one-letter variant is part of the name
        out += variant.group(1) + variant.group(2)
        pos = variant.end()
    elif letter is not None:
        out += " " + letter.group(1)
        pos = letter.end()
    for _ in range(8):
        m = _TOKEN.match(following, pos)
        if m is None:
            break
        word = m.group(1)
        separator = following[pos : m.start(1)].replace("\u2011", "-")
        if _SIZE.match(word) or word.lower() in table.drop_words:
            pos = m.end()
            continue
        if _VERSION.match(word) or word.lower() in table.keep_words:
            if word.lower() in table.keep_words and word.islower():
                if "-" not in separator:
                    break  # "Grok 1 large language model": an adjective, not a variant
                word = word[:1].upper() + word[1:]
            joint = "-" if "-" in separator else "." if separator == "." else separator and " "
            out += joint + word
            pos = m.end()
            continue
        break
    bracket = _BRACKET_VARIANT.match(following, pos)
    if bracket is not None:
        # "FLUX.1 [schnell]", "FLUX.1 [dev]": the variant is written in brackets
        out += f" [{bracket.group(1)}]"
    return out.strip()


@dataclasses.dataclass(frozen=True, slots=True)
class _Unit:
    """A sentence (or the title) with the actor mentions inside it."""

    text: str
    start: int  # offset in the document text; -1 for the title
    models: tuple[tuple[Mention, int, int], ...]  # family mention, start, end (unit offsets)
    actors: tuple[tuple[Mention, int], ...]  # any mention, start (unit offsets)
    names_a_model: bool  # any family mention, including base models and competitors


@dataclasses.dataclass(frozen=True, slots=True)
class MentionCandidate:
    """One license named in one sentence and the events the rules find for it."""

    match: LicenseMatch
    matches: tuple[LicenseMatch, ...]  # every license of the sentence
    text: str  # the sentence (or the title)
    rule_events: tuple[LicenseEvent, ...]


@register(
    "license_events",
    "v9",
    labels=LICENSE_EVENT_KINDS,
    output_key="license_events",
    result_type=LicenseEvent,
    defaults={"config": None},
    data_files=("licenses.yaml", "actors.yaml"),
)
class LicenseEventClassifier:
    """Find license events (``license_events.v9``) in a document.

    Args:
        table_path: the license table YAML (default: the shipped ``data/licenses.yaml``).
        actors: the actor classifier to resolve models and organisations with (default: the
            registry's shared ``actors`` instance for ``config``, so both share one
            tokenization).
        config: the caller's configuration (default :class:`ClassifierConfig`).

    Raises:
        ClassifierNotConfigured: the license table or the actor registry is missing.
    """

    name = "license_events"
    version = "v9"
    labels: tuple[str, ...] = LICENSE_EVENT_KINDS
    output_key = "license_events"

    def __init__(
        self,
        table_path: Path | None = None,
        actors: ActorClassifier | None = None,
        config: ClassifierConfig | None = None,
    ):
        self.table = load_license_table(table_path or DATA_PATH)
        if actors is None:
            from classifiers import registry

            actors = registry.get("actors", config)  # type: ignore[assignment]
        assert isinstance(actors, ActorClassifier)
        self.actors = actors
        # The tokenizer-based matcher misses families glued to CJK text ("发布Qwen3-Coder"),
        # so those sentences are searched with one regex over the family forms.
        families = sorted(
            {f.form for f in actors.registry.forms if f.kind == "family" and len(f.form) > 2},
            key=len,
            reverse=True,
        )
        self._registry_names = frozenset(a.name for a in actors.registry.actors)
        self._stewards = tuple(dict.fromkeys(i.steward for i in self.table.licenses if i.steward))
        self._family_forms = frozenset(f.form for f in actors.registry.forms if f.kind == "family")
        self._cjk_families = {
            f.form.lower(): f for f in actors.registry.forms if f.kind == "family"
        }
        latin = {f.form: f for f in actors.registry.forms if f.kind == "family"}
        self._cjk_latin: dict[str, Any] = {}
        for chinese, family in self.table.cjk_families:
            if family in latin:
                # "文心大模型4.5" -> "ERNIE 4.5": the family's own spelling, then its version
                self._cjk_families[chinese.lower()] = dataclasses.replace(
                    latin[family], form=family + " "
                )
                self._cjk_latin[chinese.lower()] = self._cjk_families[chinese.lower()]
                families.append(chinese)
        families.sort(key=len, reverse=True)
        self._cjk_family = re.compile(
            r"(?<![A-Za-z0-9_])(?:" + "|".join(re.escape(f) for f in families) + r")"
            r"(?![a-z])",
            re.IGNORECASE,
        )
        # Organisation names glued to CJK text ("DeepSeek发布了", "百度宣布"), unambiguous
        # forms only (those the actor registry accepts without a context word).
        orgs = {
            f.form: f
            for f in actors.registry.forms
            if f.kind != "family"
            and f.context is None
            and (len(f.form) > 3 or (_CJK_NAMES.search(f.form) and len(f.form) >= 2))
        }
        names = {f.actor.name: f for f in actors.registry.forms if f.kind == "name"}
        for chinese, name in self.table.cjk_organisations:
            if name in names:
                orgs[chinese] = names[name]
        self._cjk_orgs = {form.lower(): rule for form, rule in orgs.items()}
        self._cjk_org = re.compile(
            r"(?<![A-Za-z0-9_])(?:"
            + "|".join(re.escape(f) for f in sorted(orgs, key=len, reverse=True))
            + r")(?![A-Za-z0-9_])",
            re.IGNORECASE,
        )

    def classify(self, doc: Document) -> tuple[LicenseEvent, ...]:
        """License events in ``doc``, one per (kind, actor, model, subject, from, to)."""
        events: dict[tuple[Any, ...], LicenseEvent] = {}
        spans = _spans(doc)
        for candidate in self.candidates(doc, spans):
            for event in candidate.rule_events:
                events.setdefault(event.identity(), event)
        for event in self._suite_events(doc, spans):
            events.setdefault(event.identity(), event)
        for event in self._adopted_it(doc, spans):
            events.setdefault(event.identity(), event)
        return tuple(e for e in merge_events(list(events.values())) if self._reviewable(e))

    def _named_elsewhere(
        self, found: list[tuple[int, str, list[LicenseMatch]]], doc: Document
    ) -> list[tuple[int, str, list[LicenseMatch]]]:
        """A vendor's generic form ("this Open Model Licence") in a document that never names
        the vendor but names another organisation's license of those words ("InstaDeep Open
        Model Licence") is that organisation's license."""
        unlisted = {m.text.lower(): m for _i, _t, ms in found for m in ms if not m.listed}
        if not unlisted:
            return found
        everything = (doc.title + "\n" + doc.text).lower()
        out = []
        for index, text, matches in found:
            kept = []
            for m in matches:
                info = self.table.get(m.id) if m.listed else None
                words = " ".join(m.text.lower().split())
                owner = next(
                    (
                        u
                        for name, u in unlisted.items()
                        if len(name) > len(words) and " ".join(name.split()).endswith(" " + words)
                    ),
                    None,
                )
                if info and info.actor and info.actor.lower() not in everything and owner:
                    m = dataclasses.replace(m, id=owner.id, listed=False)
                kept.append(m)
            out.append((index, text, kept))
        return out

    def _suite_events(self, doc: Document, spans: Sequence[tuple[int, int]]) -> list[LicenseEvent]:
        """New versions of a suite of licenses named only by number ("released version 4.0
        of these licenses", "the 4.0 license suite"), with the organisation behind them: a
        steward the sentence, the one before it or the title names, else the announcer."""
        # plain substring tests first: a regex over every whole text would cost more than
        # the rest of the classifier
        if "icens" not in doc.text and "icenc" not in doc.text:
            return []
        out = []
        for n, (start, end) in enumerate(spans):
            if not any(doc.text.find(hint, start, end) >= 0 for hint in _SUITE_HINTS):
                continue
            text = doc.text[start:end]
            if not _NEW_SUITE.search(text) or self.table.find(text):
                continue
            before = doc.text[spans[n - 1][0] : spans[n - 1][1]] if n else ""
            nearby = [text, before, doc.title]
            actor = next(
                (st for t in nearby for st in self._stewards if st in t),
                None,
            )
            if actor is None and _FIRST_PERSON.search(text):
                actor = doc.publisher
            actor = actor or _org_subject(text)
            out.append(LicenseEvent("new_license", actor, None, None, None, _clip(text, 0), 0.6))
        return out

    def _adopted_it(self, doc: Document, spans: Sequence[tuple[int, int]]) -> list[LicenseEvent]:
        """Models moved to a license the sentence before names, by pronoun: "the Linux
        Foundation released OpenMDW-1.1. Nvidia adopted it across Cosmos and Nemotron"."""
        if " it" not in doc.text or _ADOPTED_IT_HINT.search(doc.text) is None:
            return []
        out: list[LicenseEvent] = []
        units: list[_Unit] | None = None
        for n, (start, end) in enumerate(spans):
            if n == 0 or _ADOPTED_IT.search(doc.text, start, end) is None:
                continue
            text = doc.text[start:end]
            if self.table.find(text):
                continue
            before = [m for m in self.table.find(doc.text[slice(*spans[n - 1])])]
            before = [m for m in before if m.id not in _FAMILY_IDS]
            if len({m.id for m in before}) != 1:
                continue
            units = units or self._units(doc, spans)
            unit = units[n + 1]
            evidence = _clip(text, 0)
            license_id = before[0].id
            if not unit.models:
                actor = self._actor_in(unit)
                if actor is not None:
                    out.append(LicenseEvent("new_license", actor, None, None, license_id, evidence))
                continue
            for mention, _s, e in unit.models:
                model = model_name(mention.rule.form, text[e:], self.table)
                out.append(
                    LicenseEvent(
                        "relicense", mention.actor.name, model, None, license_id, evidence, 0.7
                    )
                )
        return out

    @staticmethod
    def _reviewable(event: LicenseEvent) -> bool:
        """Whether an event says enough for a compliance review to act on: a new license
        text needs the organisation that wrote or adopted it."""
        return event.kind != "new_license" or event.actor is not None

    def candidates(
        self, doc: Document, spans: Sequence[tuple[int, int]] | None = None
    ) -> list[MentionCandidate]:
        """Every license mentioned in ``doc``, per sentence, with the events found for it
        (events naming no license of the sentence go with its last license); ``spans`` are
        the document's sentences as :func:`_spans` reads them, when the caller has them."""
        units: list[_Unit] | None = None
        spans = _spans(doc) if spans is None else spans
        candidates = [(-1, doc.title)] + [(i, doc.text[s:e]) for i, (s, e) in enumerate(spans)]
        owner: str | None = None
        speaker: str | None = None
        found_matches = [(index, text, self.table.find(text)) for index, text in candidates if text]
        found_matches = self._named_elsewhere(found_matches, doc)
        versions = _document_versions([m for _i, _t, ms in found_matches for m in ms])
        out: list[MentionCandidate] = []
        for index, text, matches in found_matches:
            if not matches:
                continue
            if versions:
                matches = [_with_document_version(m, versions) for m in matches]
            if units is None:
                units = self._units(doc, spans)
                owner = doc.publisher or self._actor_in(units[0])
                byline = _TITLE_BYLINE.search(doc.title)
                speaker = owner or (byline.group("org").strip() if byline else None)
            unit = units[index + 1]
            first_person = _FIRST_PERSON.search(text) is not None
            found = self._rule_events(
                doc, unit, text, matches, units, index, owner, speaker, first_person
            )
            if index == -1 and (not (unit.models or unit.actors) or _EXPLAINER.search(text)):
                # a headline ("Apache 2.0: the open-model wave") is a release only of a
                # model or by an organisation it names itself, and an explainer's ("...
                # licence terms compared") of none
                found = [e for e in found if e.kind != "release"]
            seen: set[str] = set()
            for match in matches:
                if match.id in seen:
                    continue
                seen.add(match.id)
                own = tuple(e for e in found if e.to_license == match.id)
                out.append(
                    MentionCandidate(
                        match=match,
                        matches=tuple(matches),
                        text=text,
                        rule_events=own,
                    )
                )
            # events the rules attach to no license of the sentence ("to_license": null)
            rest = tuple(e for e in found if e.to_license not in seen)
            if rest and out:
                last = out[-1]
                out[-1] = dataclasses.replace(last, rule_events=last.rule_events + rest)
        return out

    def _rule_events(
        self,
        doc: Document,
        unit: _Unit,
        text: str,
        matches: list[LicenseMatch],
        units: list[_Unit],
        index: int,
        owner: str | None,
        speaker: str | None,
        first_person: bool,
    ) -> list[LicenseEvent]:
        """The rules' events for one sentence, with their actors resolved."""
        announced = (
            index >= 1
            and _CHANGE_ANNOUNCED.search(units[index].text) is not None
            and not self.table.find(units[index].text)
        )
        following = units[index + 2].text if index + 2 < len(units) else ""
        prior = _PRIOR_TERMS.search(text) or (
            _PRIOR_TERMS.match(following) if not self.table.find(following) else None
        )
        left_behind = None
        if _BREAK_START.match(following):
            # "... released under Apache 2.0. That is a hard break from its earlier releases,
            # which shipped under CC-BY-NC": the license the release leaves behind
            left_behind = next(iter(self.table.find(following)), None)
        earlier = self._earlier_state(units, index, text)
        found: list[LicenseEvent] = []
        for event in self._events(unit, matches, units, index + 1, owner, first_person, announced):
            if (
                earlier is not None
                and event.kind == "release"
                and event.model
                and earlier != event.to_license
            ):
                # "Previous Gemma versions used the Gemma Terms of Use. [...] Gemma 4 is
                # released under Apache 2.0": the license earlier versions left behind
                event = dataclasses.replace(event, kind="relicense", from_license=earlier or None)
            if left_behind is not None and event.kind == "release" and event.model:
                if left_behind.id != event.to_license:
                    event = dataclasses.replace(
                        event, kind="relicense", from_license=left_behind.id
                    )
            elif prior and event.kind == "release" and event.model:
                # "released Gemma 4 under Apache 2.0, abandoning the custom license of
                # previous versions": a release that replaces an earlier license
                source = None
                if event.actor and _CUSTOM_WORD.search(prior.group(0)):
                    source = self._vendor_license(event.actor)
                event = dataclasses.replace(event, kind="relicense", from_license=source)
            if announced and event.kind == "release":
                # "... announced a change to its licensing model. Starting January 1,
                # Terraform will be licensed under the BSL."
                event = dataclasses.replace(event, kind="relicense")
            revised = next(
                (
                    m
                    for m in matches
                    if m.id == event.to_license
                    and _REVISED_BEFORE.search(text[max(0, m.start - 50) : m.start])
                ),
                None,
            )
            if revised is not None and event.kind == "release" and event.model:
                # "Stability AI unveiled a revamped Community License for its Stable
                # Diffusion 3 model": a revised license text, and the model moves to it
                found.append(
                    LicenseEvent(
                        "new_license", event.actor, None, None, event.to_license, event.evidence
                    )
                )
                event = dataclasses.replace(event, kind="relicense")
            if (
                event.model is None
                and event.kind != "new_license"
                and event.subject_kind in ("model", "software")
            ):
                products = [] if unit.names_a_model else _software_names(text, matches)
                prefix = self._model_prefix(unit, text)
                if (
                    products
                    and prefix is not None
                    and all(p.split()[0].lower() in self.table.keep_words for p in products)
                ):
                    # "Mistral moved Large 3 and Small 4 to Apache 2.0": variants of the
                    # organisation's own model line, named without the line
                    found += [
                        dataclasses.replace(
                            event, model=f"{prefix[0]} {p}", actor=event.actor or prefix[1]
                        )
                        for p in products
                    ]
                    continue
                if products:
                    # "relicensing Grafana, Loki and Tempo": software outside the registry
                    found += [
                        dataclasses.replace(event, model=p, subject_kind="software")
                        for p in products
                    ]
                    continue
                if event.subject_kind == "software":
                    found.append(event)  # unnamed software stays unnamed
                    continue
                named = _name_near(event.actor or "", (text, doc.title), matches)
                if named is None and event.kind == "release":
                    # "The sentence-transformers/multi-qa-mpnet-base-dot-v1 model is licensed
                    # under ...", a model page titled "Teuken-7B"
                    named = (
                        _repo_model(text, self.table)
                        or _title_model(doc.title, self.table)
                        or _sized_subject(text, self.table)
                    )
                if named is not None:
                    named = _bracket_tier(named, text, matches, event.to_license)
                event = dataclasses.replace(event, model=named)
            found.append(event)
        out = []
        for event in found:
            out.append(
                self._with_actor(event, doc, text, units, index, owner, speaker, first_person)
            )
        # "relicensing Sentry and Codecov under a new license we've written called the FSL":
        # the maker of the new license makes the change
        makers = {e.to_license: e.actor for e in out if e.kind == "new_license" and e.actor}
        out = [
            dataclasses.replace(e, actor=makers[e.to_license])
            if e.actor is None and e.kind == "relicense" and e.to_license in makers
            else e
            for e in out
        ]
        if unit.names_a_model or _OWN_PRODUCTS.search(text):
            return out
        # "MongoDB switches from AGPLv3 to SSPL": an organisation outside the actor registry
        # changing a license with no product named changes the product named after it
        return [
            dataclasses.replace(e, model=e.actor, subject_kind="software")
            if e.kind == "relicense"
            and e.model is None
            and e.subject_kind == "model"
            and e.actor is not None
            and e.actor not in self._registry_names
            and re.search(rf"(?<![\w-]){re.escape(e.actor)}(?![\w-])", text + "\n" + doc.title)
            else e
            for e in out
        ]

    def _earlier_state(self, units: list[_Unit], index: int, text: str) -> str | None:
        """The id of the license an earlier state had, when this sentence or one of the two
        before it (or the one after it) says earlier versions shipped under another license
        ("Previous Gemma versions used ...", "initialement disponible ... sous licence
        contrôlée"); ``""`` when the earlier license is unnamed, None with no such cue."""
        for n in (index + 1, index, index - 1, index + 2):
            if n < 1 or n >= len(units):
                continue
            sentence = units[n].text
            cue = _EARLIER_STATE.search(sentence)
            if cue is None:
                continue
            if n == index + 1:
                # in the release sentence itself the cue must come before the license
                own = self.table.find(sentence)
                if own and own[0].start < cue.start():
                    continue
                return ""
            named = [m.id for m in self.table.find(sentence) if m.id not in _FAMILY_IDS]
            return named[0] if named else ""
        return None

    def _with_actor(
        self,
        event: LicenseEvent,
        doc: Document,
        text: str,
        units: list[_Unit],
        index: int,
        owner: str | None,
        speaker: str | None,
        first_person: bool,
    ) -> LicenseEvent:
        if event.actor is None and event.subject_kind == "software":
            # the organisation announcing it, here or in the sentences before
            nearby = [text] + [units[i].text for i in (index, index - 1) if i >= 1]
            org = next((o for o in map(_org_subject, [*nearby, doc.title]) if o), None)
            event = dataclasses.replace(event, actor=org)
        if first_person and doc.publisher:
            return dataclasses.replace(event, actor=doc.publisher)
        if event.actor is None:
            # an outside organisation counts for what it announces (a change, a
            # license text), not for a bare release of an unnamed model
            org = None
            if event.kind == "release" and event.model is not None:
                # "BigScience released BLOOM under OpenRAIL": the organisation releasing it
                org = _org_subject(text)
            elif event.kind != "release":
                nearby = [text] + [units[i].text for i in (index, index - 1) if i >= 1]
                if event.kind == "new_license":
                    nearby.append(doc.title)
                org = next((o for o in map(_org_subject, nearby) if o), None)
            event = dataclasses.replace(event, actor=org or (speaker if first_person else owner))
        if event.actor is None and event.kind == "new_license" and event.to_license:
            # "the Mozilla Public License 2.0 was officially released": its steward
            stem = license_stem(event.to_license)
            stewards = {
                i.steward for i in self.table.licenses if i.steward and license_stem(i.id) == stem
            }
            # "OpenMDW 1.7 published": a version the table does not list yet has the steward
            # of its family
            event = dataclasses.replace(event, actor=stewards.pop() if len(stewards) == 1 else None)
        return event

    # -- internals ---------------------------------------------------------------------

    def _units(self, doc: Document, spans: Sequence[tuple[int, int]]) -> list[_Unit]:
        mentions = self.actors.analyze(doc)
        all_spans = [(-1, 0, len(doc.title))] + [(i, s, e) for i, (s, e) in enumerate(spans)]
        units = []
        text_mentions = sorted((m for m in mentions if not m.in_title), key=lambda m: m.start)
        pointer = 0
        for index, start, end in all_spans:
            if index == -1:
                inside = [m for m in mentions if m.in_title]
                base = 0
                text = doc.title
            else:
                inside = []
                while pointer < len(text_mentions) and text_mentions[pointer].start < start:
                    pointer += 1
                probe = pointer
                while probe < len(text_mentions) and text_mentions[probe].start < end:
                    inside.append(text_mentions[probe])
                    probe += 1
                base = start
                text = doc.text[start:end]
            if _CJK_NAMES.search(text):
                # "文心大模型5.0" found by the registry's own Chinese form: named as the table
                # names the family ("ERNIE 5.0")
                inside = [self._table_family(m, text, base) for m in inside]
                if not any(m.rule.kind == "family" for m in inside):
                    inside += self._cjk_mentions(text, base, index == -1)
                if not any(m.rule.kind != "family" for m in inside):
                    inside += self._cjk_org_mentions(text, base, index == -1, inside)
            found: list[tuple[Mention, int, int]] = []
            references: set[int] = set()
            reference_end = -1  # end of the last competitor / base-model mention
            for m in sorted(inside, key=lambda x: x.start):
                s, e = m.start - base, m.end - base
                # "the answer to DALL-E 3, Imagen and Midjourney": the rest of the list too
                if reference_end >= 0 and _LIST_GAP.fullmatch(text[reference_end:s]):
                    references.add(id(m))
                    reference_end = e
                    continue
                if not (m.rule.kind == "family" or self._names_model(m, text, base)):
                    continue
                if _REFERENCE_BEFORE.search(text[max(0, s - 40) : s]) or _REFERENCE_AFTER.match(
                    text[e : e + 30]
                ):
                    references.add(id(m))
                    reference_end = e
                    continue
                found.append((m, s, e))
            # "카나나 세이프가드(Kanana Safeguard)": the name in Latin letters after it is the
            # one the model goes by
            found = [
                (m, s, e)
                for m, s, e in found
                if not (
                    _CJK_NAMES.search(m.text)
                    and any(
                        o.actor.name == m.actor.name
                        and e < os_ <= e + 30
                        and ("(" in text[e:os_] or "（" in text[e:os_])
                        for o, os_, _oe in found
                    )
                )
            ]
            models = tuple(found)
            kept = {id(m) for m, _s, _e in models}
            actors = tuple(
                (m, m.start - base)
                for m in inside
                if (m.rule.kind != "family" or id(m) in kept) and id(m) not in references
            )
            names_a_model = bool(models) or any(m.rule.kind == "family" for m in inside)
            units.append(_Unit(text, -1 if index == -1 else start, models, actors, names_a_model))
        return units

    def _names_model(self, mention: Mention, text: str, base: int) -> bool:
        """An organisation's name used as a model name: "Mistral 7B", "Mistral Large 3",
        "DeepSeek V4" (a size, a version or a variant word right after it)."""
        m = _ALIAS_MODEL.match(text, mention.end - base)
        if m is None:
            return False
        word = m.group(1)
        if _YEAR.match(word):
            return False
        return bool(_SIZE.match(word) or _VERSION.match(word)) or (
            word.lower() in self.table.keep_words and word[:1].isupper()
        )

    def _table_family(self, mention: Mention, text: str, base: int) -> Mention:
        """A family mention in Chinese script as the license table names it: "文心大模型5.0"
        found as the registry's "文心" is "ERNIE" followed by its version."""
        if mention.rule.kind != "family" or not _CJK.search(mention.text):
            return mention
        m = self._cjk_family.match(text, mention.start - base)
        rule = self._cjk_latin.get(m.group(0).lower()) if m else None
        if m is None or rule is None:
            return mention
        return dataclasses.replace(mention, rule=rule, end=base + m.end(), text=m.group(0))

    def _cjk_org_mentions(
        self, text: str, base: int, in_title: bool, known: Sequence[Mention]
    ) -> list[Mention]:
        out = []
        for m in self._cjk_org.finditer(text):
            rule = self._cjk_orgs.get(m.group(0).lower())
            start, end = base + m.start(), base + m.end()
            if rule is not None and all(end <= k.start or start >= k.end for k in known):
                out.append(Mention(rule, start, end, m.group(0), in_title))
        return out

    def _cjk_mentions(self, text: str, base: int, in_title: bool) -> list[Mention]:
        out = []
        for m in self._cjk_family.finditer(text):
            rule = self._cjk_families.get(m.group(0).lower())
            if rule is not None:
                out.append(Mention(rule, base + m.start(), base + m.end(), m.group(0), in_title))
        return out

    def _events(
        self,
        unit: _Unit,
        matches: list[LicenseMatch],
        units: list[_Unit],
        position: int,
        owner: str | None,
        first_person: bool,
        announced: bool = False,
    ) -> list[LicenseEvent]:
        text = unit.text
        outside = [
            (m, s, e)
            for m, s, e in unit.models
            if all(e <= lic.start or s >= lic.end for lic in matches)
        ]
        if first_person and owner:
            # "we release X under MIT, unlike Llama": our sentence is about our models
            outside = [o for o in outside if o[0].actor.name == owner] or outside
        # "Phi-3-mini, MIT license, competitive with GPT-3.5": a benchmark rival is no subject
        outside = [
            o for o in outside if not _COMPARED_BEFORE.search(text[max(0, o[1] - 40) : o[1]])
        ] or outside
        evidence = _clip(text, matches[0].start)
        subject = _subject(text, matches, outside)
        # "can I ... release it as cc-by-nc-4.0?": a question introduces no license text
        # ("What is the new Confluent Community License?" still names one)
        question = text.rstrip().endswith("?") and not _NEW_LICENSE_PHRASE.search(text)
        new = [] if question else self._new_licenses(text, matches, outside)
        new_events = []
        for match in new:
            info = self.table.get(match.id)
            steward = info.steward if info and info.steward and info.steward in text else None
            # "the Linux Foundation released OpenMDW-1.1, built with Amazon, Meta ...": the
            # steward the sentence names writes the text, not the members it lists
            actor = (
                (info.actor if info else None)
                or steward
                or self._actor_in(unit, matches)
                # a new version of a general license text, no organisation named: its steward
                or (info.steward if info else None)
            )
            new_events.append(
                LicenseEvent("new_license", actor, None, None, match.id, evidence, 0.8)
            )
        row_changes = _row_changes(text, matches, evidence)
        if row_changes:
            return row_changes
        if _changes_license(text, matches):
            changed = self._relicense(unit, matches, outside, units, position, evidence, subject)
            sources = {e.from_license for e in changed}
            introduced = {e.to_license for e in changed if e.kind == "new_license"}
            created = (
                _NEW_LICENSE_PHRASE.search(text) is not None
                or _CREATE_VERB.search(text) is not None
            )
            near = {
                m.id
                for m in new
                if _NEW_NEAR.search(text[max(0, m.start - 60) : m.start])
                or _DEFINED_AFTER.match(text[m.end : m.end + 120])
            }
            return changed + [
                e
                for e in new_events
                if created and e.to_license in near and e.to_license not in sources | introduced
            ]
        if new_events and (subject is None or subject[1] is None):
            if not (outside and any(_DEFINED_AFTER.match(text[m.end : m.end + 120]) for m in new)):
                return new_events
        else:
            new_events = []
        rows = self._row_events(unit, matches, evidence)
        if rows:
            return new_events + rows
        lead = text[: matches[0].start].strip(" \t\n#*-\"“”'‘’").lower()
        generic = (
            text.rstrip().endswith("?")
            or _GENERIC.search(text) is not None
            or any(_defined_entry(text, m) for m in matches)
            or (
                _SUBJECT_LEAD.fullmatch(lead) is not None
                and _LICENSE_DESCRIBES.match(text, matches[0].end) is not None
            )
            or (
                not outside
                and _SUBJECT_LEAD.fullmatch(lead) is not None
                and _LICENSE_SUBJECT.match(text, matches[0].end) is not None
            )
        )
        if generic or _PAST_STATE.match(text):
            # "Previously, MongoDB was licensed under the AGPLv3": the license left behind
            updates = [
                u
                for u in (
                    units[position - 1],
                    units[position + 1] if position + 1 < len(units) else None,
                )
                if u is not None
                and u.start >= 0
                and (_RELICENSE.search(u.text) or _LICENSE_UPDATED.search(u.text))
                and not self.table.find(u.text)
            ]
            if _PAST_STATE.match(text) and updates and not generic:
                # "... has updated the license of its software. Previously, it was under the
                # AGPLv3": a change whose new license the passage does not name
                actor = self._actor_in(unit, matches) or self._actor_in(updates[0])
                return new_events + [
                    LicenseEvent("relicense", actor, None, m.id, None, evidence, 0.6)
                    for m in matches[:1]
                ]
            return new_events
        # "License: Apache-2.0", or a line that is nothing but the license ("Modified MIT
        # license."): a model card's or a spec table's license entry
        fragment = unit.start >= 0 and _FRAGMENT.fullmatch(_masked(text, matches)) is not None
        label = _LICENSE_LABEL.search(text) is not None or fragment
        strong = (
            _LICENSE_LABEL.search(text) is not None
            or unit.names_a_model
            or subject is not None
            or _MODEL_NOUN.search(text) is not None
            or _PRONOUN_START.match(text) is not None
            # "DeepSeek releases V4 under MIT": an AI organisation releasing something
            or bool(unit.actors)
            or first_person
            # after "X announced a change to its licensing": the software the sentence names
            or (announced and bool(_software_names(text, matches)))
            # "BigScience released BLOOM under OpenRAIL": a named thing put out under it
            or _RELEASED_NAME_UNDER.search(text) is not None
            # "Zephyrine-7B is released under ...": a sized name is a model's
            or _SIZED_SUBJECT.search(text) is not None
        )
        # a bare license line or "Released under ..., it ..." counts only for a model found
        # nearby
        weak = not strong and (fragment or _PARTICIPLE_START.match(text) is not None)
        has_anchor = strong or weak
        cue = label or _RELEASE_CUE.search(_masked(text, matches)) or weak
        if not has_anchor or not cue:
            return new_events
        # "What is not true is that Gemma is governed by ... Apache-2.0 or MIT", "is not
        # Apache 2.0": a license the model is said not to have
        kept_matches: list[LicenseMatch] = []
        negated: LicenseMatch | None = None
        for m in matches:
            if _CONVERTS_BEFORE.search(text[max(0, m.start - 40) : m.start]):
                continue  # "Two years after release, the code reverts to Apache 2.0"
            if _NEGATED_BEFORE.search(text[max(0, m.start - 80) : m.start]) or (
                negated is not None and _LIST_OR.fullmatch(text, negated.end, m.start)
            ):
                negated = m  # "... like Apache-2.0 or MIT": the rest of the list too
                continue
            negated = None
            kept_matches.append(m)
        matches = kept_matches
        if not matches:
            return new_events
        if subject is not None:
            kind, product = subject
            actor = self._actor_in(unit, matches)
            if product is None and kind == "software":
                # "本仓库的代码依照 Apache-2.0 协议开源": the code of the model the passage is about
                product, near_actor = self._nearby(unit, units, position, matches, owner)
                actor = actor or near_actor
            return [
                LicenseEvent("release", actor, product, None, m.id, evidence, 0.7, kind)
                for m in matches
                if not m.id.startswith(("LicenseRef-Non-Commercial", "LicenseRef-Research-Only"))
            ]
        matches = [m for m in matches if not _NOT_MODEL_AFTER.match(text, m.end)]
        if not matches:
            return []
        events = []
        for match, claimed in self._claims(text, matches, outside):
            score = (0.9 if claimed else 0.7) - (0.0 if match.listed else 0.2)
            score = round(score, 2)
            if claimed:
                for mention, _s, e in claimed:
                    named = model_name(mention.rule.form, text[e:], self.table)
                    events.append(
                        LicenseEvent(
                            "release", mention.actor.name, named, None, match.id, evidence, score
                        )
                    )
                continue
            if _PLURAL_START.match(text) or _PLURAL_OBJECT.search(text, 0, matches[0].start):
                group = self._previous_models(units, position, owner)
                if len(group) > 1:
                    events += [
                        LicenseEvent("release", a, m, None, match.id, evidence, score)
                        for m, a in group
                    ]
                    continue
            described = None if outside else self._described_before(unit, units, position, owner)
            if described is not None:
                # "Mistral Vibe CLI is an open-source command-line assistant ... It is
                # released under Apache 2.0": the license belongs to the tool, not a model
                kind, name, actor = described
                events.append(
                    LicenseEvent("release", actor, name, None, match.id, evidence, score, kind)
                )
                continue
            model, actor = self._nearby(unit, units, position, matches, owner)
            if weak and model is None:
                continue  # a bare "MIT licensed." line about nothing the registry knows
            if model is not None:
                # "... FLUX.2 [turbo] under Apache 2.0, while [plus] uses ...": the tier
                # named between the two licenses
                model = _bracket_tier(model, text, matches, match.id)
            if actor is None:
                info = self.table.get(match.id)
                actor = info.actor if info else None
            events.append(LicenseEvent("release", actor, model, None, match.id, evidence, score))
        if _CODE_AND_WEIGHTS.search(text[: matches[0].start]):
            # "Both the code and the model weights are released under ...": two subjects
            events += [dataclasses.replace(e, subject_kind="software") for e in events]
        return new_events + events

    def _row_events(
        self, unit: _Unit, matches: list[LicenseMatch], evidence: str
    ) -> list[LicenseEvent]:
        """Releases read from table rows and list items that name one model and its license:
        "| Qwen3-235B | ... | Gratis (Apache 2.0) |", "- Phi-4 — 14B; MIT"."""
        text = unit.text
        out: list[LicenseEvent] = []
        start = 0
        for line in text.split("\n"):
            end = start + len(line)
            row = _ROW_START.match(line)
            licenses = [m for m in matches if start <= m.start and m.end <= end]
            if row is not None and licenses:
                first = licenses[0].start
                models: set[tuple[str, str | None]] = {
                    (model_name(m.rule.form, text[e:], self.table), m.actor.name)
                    for m, s, e in unit.models
                    if start <= s and e <= first
                }
                head = _ITEM_NAME.match(line)
                if (
                    not models
                    and head is not None
                    and head.end() <= first - start
                    and all(_is_field(line, lic.start - start, lic.end - start) for lic in licenses)
                ):
                    # "- Dia — 1.6B, Nari Labs (Apr 2025); Apache-2.0; ...": a catalogue
                    # entry whose name the registry does not know, the license one field
                    models = {(_strip_sizes(head.group("name"), self.table), None)}
                if len(models) == 1 and not _defined_entry(text, licenses[0]):
                    ((model, actor),) = models
                    out += [
                        LicenseEvent("release", actor, model, None, lic.id, evidence, 0.7)
                        for lic in licenses
                    ]
            start = end + 1
        return out

    def _relicense(
        self,
        unit: _Unit,
        matches: list[LicenseMatch],
        outside: list[tuple[Mention, int, int]],
        units: list[_Unit],
        position: int,
        evidence: str,
        subject: tuple[SubjectKind, str | None] | None,
    ) -> list[LicenseEvent]:
        text = unit.text
        # "moved the Apache 2.0 licensed code to ...": a license between the verb and its "to"
        spans = [
            (c.start(), c.end())
            for c in _RELICENSE.finditer(text)
            if c.group(0).lower().endswith("to") and c.group(0)[:2].lower() in ("mo", "sw", "sh")
        ]
        from_ids = [
            m.id
            for m in matches
            if (
                _FROM_MARK.search(text[max(0, m.start - 60) : m.start])
                and not _TO_MARK.search(text[max(0, m.start - 20) : m.start])
                # "replacing the AGPL with the SSPL", "replaced by the SSPL": the new one
                and not _WITH_MARK.search(text[max(0, m.start - 20) : m.start])
            )
            or any(s < m.start and m.end < e for s, e in spans)
            or _REPLACED_AFTER.match(text, m.end) is not None
            # "DeepSeek LicenseからMITライセンスに変更", "DeepSeek License에서 MIT로"
            or _FROM_AFTER.match(text, m.end) is not None
            or any(n.start > m.end and _PAIR_GAP.fullmatch(text[m.end : n.start]) for n in matches)
            # "is changing the Apache 2.0-licensed source code ... to": what the code had
            or (
                _licensed_object(text, m)
                and _DETERMINER.search(text[max(0, m.start - 8) : m.start]) is not None
            )
        ]
        to_ids: list[str | None] = [
            m.id
            for m in matches
            if m.id not in from_ids and not _NOT_TARGET.search(text[max(0, m.start - 60) : m.start])
        ] or [None]
        # "la falta de aceptación de la SSPL llevó a la compañía a optar ahora por la AGPL":
        # where a license follows "to" / "por" / "auf", the ones named before it are not
        # what the change moves to
        direct = [
            m.start
            for m in matches
            if m.id in to_ids and _TO_MARK.search(text[max(0, m.start - 20) : m.start])
        ]
        if direct:
            later = {m.id for m in matches if m.start >= direct[0]}
            to_ids = [i for i in to_ids if i in later] or to_ids
        from_license = from_ids[0] if from_ids else _from_family(text)
        events = []
        adopter = self._actor_in(unit, matches)
        if _ADOPT.search(text) and adopter is not None and subject is None:
            # "NVIDIA adopts OpenMDW": the organisation takes up the license text itself
            for to in to_ids:
                if to is not None:
                    events.append(LicenseEvent("new_license", adopter, None, None, to, evidence))
            if not outside:
                return events
        targets: list[tuple[str | None, str | None, SubjectKind]]
        if subject is not None:
            targets = [(adopter, subject[1], subject[0])]
        elif outside:
            targets = [
                (m.actor.name, model_name(m.rule.form, text[e:], self.table), "model")
                for m, _s, e in outside
            ]
        else:
            following = units[position + 1] if position + 1 < len(units) else None
            if following is not None and _APPLIES_TO.match(following.text) and following.models:
                # "... moving its model families to OpenMDW. The transition applies to
                # Cosmos, ... and Nemotron."
                targets = [
                    (m.actor.name, model_name(m.rule.form, following.text[e:], self.table), "model")
                    for m, _s, e in following.models
                ]
            else:
                model, actor = self._nearby(unit, units, position, matches, None)
                targets = [(actor, model, "model")]
        for actor, model, kind in dict.fromkeys(targets):
            source = from_license
            if source is None and actor and _FROM_CUSTOM.search(text):
                source = self._vendor_license(actor)
            for to in dict.fromkeys(to_ids):
                events.append(
                    LicenseEvent("relicense", actor, model, source, to, evidence, 0.8, kind)
                )
        return events

    def _vendor_license(self, actor: str) -> str | None:
        """The organisation's own model license, when the table lists exactly one that
        permits commercial use (Google: the Gemma Terms of Use)."""
        own = [i.id for i in self.table.licenses if i.actor == actor and i.commercial_use]
        return own[0] if len(own) == 1 else None

    def _new_licenses(
        self, text: str, matches: list[LicenseMatch], outside: list[tuple[Mention, int, int]]
    ) -> list[LicenseMatch]:
        phrase = _NEW_LICENSE_PHRASE.search(text) is not None
        found = []
        for match in matches:
            if match.id in _FAMILY_IDS:
                continue  # a family of terms, never a new license text
            before = text[max(0, match.start - 70) : match.start]
            after = text[match.end : match.end + 60]
            if _UNDER_BEFORE.search(before[-50:]) or _MODEL_NOUN_AFTER.match(after):
                continue
            if _NOT_NEW_BEFORE.search(before) or _NEW_IS_BEFORE.search(before):
                continue  # "the Last Call Draft of GPLv3", "compatible with version 2.0 of ..."
            verb = _NEW_VERB_BEFORE.search(before) or _NEW_VERB_AFTER.match(after)
            own = outside and re.search(r"\bits\s+licen[cs]e\b[^.;:]{0,30}$", before)
            if (
                _CALLED_BEFORE.search(before)
                and _MADE_VERB.search(text, 0, match.start)
                # "Grok 2.5 ..., its license, called the Grok 2 Community License": the
                # model's license, not a new text
                and not own
            ):
                # "the Linux Foundation released a license applicable to LLM models called
                # the OpenMDW License"
                found.append(match)
                continue
            defined = _DEFINED_AFTER.match(text[match.end : match.end + 120])
            anchored = bool(outside) or _MODEL_NOUN.search(text) is not None
            if (verb and not outside) or (phrase and not anchored) or defined:
                found.append(match)
        return found

    def _claims(
        self, text: str, matches: list[LicenseMatch], models: list[tuple[Mention, int, int]]
    ) -> list[tuple[LicenseMatch, list[tuple[Mention, int, int]]]]:
        """Pair each license with the models it covers: the models between the previous
        license and this one, else the first model after it."""
        out = []
        previous_end = -1
        used: set[int] = set()
        for match in matches:
            before = [m for m in models if previous_end <= m[1] < match.start and id(m) not in used]
            # "X is closed; Y is open-weight; and Z is released under Apache 2.0": the
            # models of the license's own clause
            clause = text.rfind(";", 0, match.start)
            own = [m for m in before if m[1] > clause]
            if clause >= 0 and own:
                before = own
            if not before:
                after = [m for m in models if m[1] >= match.end and id(m) not in used]
                listed = bool(after) and _LIST_INTRO.search(text[match.end : after[0][1]])
                before = after if listed and match is matches[-1] else after[:1]
            used.update(id(m) for m in before)
            out.append((match, before))
            previous_end = match.end
        return out

    def _previous_models(
        self, units: list[_Unit], position: int, owner: str | None
    ) -> list[tuple[str, str]]:
        """Every model (name, organisation) of the nearest earlier sentence naming models:
        what "All models in the series" or "The models" refers to."""
        for i in range(position - 1, max(0, position - 3), -1):
            candidate = units[i]
            found = [
                (model_name(m.rule.form, candidate.text[e:], self.table), m.actor.name)
                for m, _s, e in candidate.models
                if owner is None or m.actor.name == owner
            ]
            if found:
                return list(dict.fromkeys(found + self._sibling_variants(candidate.text, found)))
        return []

    def _sibling_variants(self, text: str, found: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Variants named by their variant word alone beside a full name: "Llama 4 Scout
        fits one GPU, while Maverick is available in FP8" -> "Llama 4 Maverick"."""
        name, actor = found[0]
        words = name.split()
        while len(words) > 1 and words[-1].lower() in self.table.keep_words:
            words.pop()
        if len(words) == len(name.split()):
            return []  # the full name has no variant word to swap
        line = " ".join(words)
        return [
            (f"{line} {m.group('w')}", actor)
            for m in _SIBLING.finditer(text)
            if m.group("w").lower() in self.table.keep_words
        ]

    def _model_prefix(self, unit: _Unit, text: str) -> tuple[str, str] | None:
        """(written name, organisation) of the organisation that opens the sentence when its
        name is also its model line ("Mistral" in "Mistral moved Large 3 ...")."""
        for mention, start in unit.actors:
            if text[:start].strip(" \t\n\"“'‘*-"):
                return None
            forms = self._family_forms
            if mention.text in forms or any(f.startswith(mention.text + " ") for f in forms):
                return mention.text, mention.actor.name
            return None
        return None

    def _described_before(
        self, unit: _Unit, units: list[_Unit], position: int, owner: str | None
    ) -> tuple[SubjectKind, str, str | None] | None:
        """The named tool a sentence that only says "it" (or "Released under ..., it") is
        about, when the sentence that introduced the subject described it as a CLI, an app,
        software or a dataset ("Gemini CLI is an open-source AI agent ...")."""
        text = unit.text
        if not (_PRONOUN_START.match(text) or _PARTICIPLE_START.match(text)):
            return None
        if _PLURAL_START.match(text):
            return None
        for i in range(position - 1, max(0, position - 4), -1):
            candidate = units[i]
            described = _described_subject(candidate.text)
            if described is not None:
                kind, name = described
                return kind, name, self._actor_in(candidate) or owner
            if not _PRONOUN_START.match(candidate.text):
                return None
        return None

    def _nearby(
        self,
        unit: _Unit,
        units: list[_Unit],
        position: int,
        matches: list[LicenseMatch],
        owner: str | None,
    ) -> tuple[str | None, str | None]:
        """(model, actor) from the sentence, the two before it, the title, then the next one.

        A model borrowed from another sentence must belong to the organisation the license
        sentence names (else the passage's owner), so a competitor named elsewhere never
        becomes the licensed model."""
        order = [unit]
        order += [units[i] for i in (position - 1, position - 2) if i >= 1]
        if position != 0:
            order.append(units[0])
        if position + 1 < len(units):
            order.append(units[position + 1])
        named = self._actor_in(unit, matches) or owner
        for candidate in order:
            models = candidate.models
            if candidate is unit:
                models = tuple(
                    (m, s, e)
                    for m, s, e in models
                    if all(e <= lic.start or s >= lic.end for lic in matches)
                )
            elif named is not None:
                models = tuple(m for m in models if m[0].actor.name == named)
            if models:
                mention, _s, e = models[0]
                model = model_name(mention.rule.form, candidate.text[e:], self.table)
                return model, mention.actor.name
        for candidate in order:
            actor = self._actor_in(candidate, matches if candidate is unit else ())
            if actor is not None:
                return None, actor
        return None, None

    @staticmethod
    def _actor_in(unit: _Unit, matches: Sequence[LicenseMatch] = ()) -> str | None:
        """The first organisation in ``unit`` outside license names and not introduced as a
        distribution platform ("on Hugging Face", "via Azure")."""
        for mention, start in unit.actors:
            if not all(start < lic.start or start >= lic.end for lic in matches):
                continue
            if _PLATFORM_BEFORE.search(unit.text[max(0, start - 40) : start]):
                continue
            if _COMPARED_BEFORE.search(unit.text[max(0, start - 50) : start]):
                continue  # "promete competir con el modelo de OpenAI": a rival
            return mention.actor.name
        return None


def _spans(doc: Document) -> Sequence[tuple[int, int]]:
    """The document's sentences, with CJK sentences ("。", a Korean "다. ") split further and a
    sentence broken by a hard line wrap ("under a standard permissive\nApache 2.0 license")
    joined."""
    sentences = _joined_wraps(doc.text, doc.sentences)
    if not _CJK_NAMES.search(doc.text):
        return sentences
    out: list[tuple[int, int]] = []
    for start, end in sentences:
        piece = doc.text[start:end]
        cut = start
        for m in _CJK_BOUNDARY.finditer(piece):
            if start + m.start() > cut:
                out.append((cut, start + m.start()))
                cut = start + m.start()
        if cut < end:
            out.append((cut, end))
    return tuple(out)


_WRAP_END = re.compile(r"[a-z,]$")
_WRAP_GAP = re.compile(r"[ \t]*\n[ \t]*")
_WRAP_START = re.compile(r"[A-Za-z0-9]")


def _joined_wraps(text: str, sentences: Sequence[tuple[int, int]]) -> Sequence[tuple[int, int]]:
    """Sentences with hard line wraps joined: a line ending in a lower-case word or a comma,
    one line break, and a line going on with a word."""
    if "\n" not in text:
        return sentences
    out: list[tuple[int, int]] = []
    for start, end in sentences:
        if (
            out
            # plain string tests first: most sentence gaps hold no line break
            and text.count("\n", out[-1][1], start) == 1
            and _WRAP_GAP.fullmatch(text, out[-1][1], start)
            and _WRAP_END.search(text, out[-1][0], out[-1][1])
            and _WRAP_START.match(text, start)
            and len(text[out[-1][0] : out[-1][1]].split()) >= 6
        ):
            out[-1] = (out[-1][0], end)
            continue
        out.append((start, end))
    return tuple(out)


_PRODUCT = r"[A-Z][\w.]*[a-z][\w.]*(?:\s(?:[A-Z][\w.]*|\d[\w.]*)){0,2}"
_PRODUCTS = rf"(?P<m>{_PRODUCT}(?:\s*,\s*{_PRODUCT})*(?:,?\s+and\s+(?:the\s+)?{_PRODUCT})?)"
# Where a sentence names the software whose license it reports.
_SOFTWARE_NAME = (
    re.compile(
        r"\b(?:licen[cs]\w*\s+(?:change\s+)?(?:of|for)|re-?licens\w*|releas\w*"
        r"|release\s+of|releases\s+of|versions?\s+of|future)\s+"
        r"(?:the\s+|its\s+|both\s+|all\s+(?:future\s+)?|our\s+)?(?:core\s+[\w\s]{0,30}\(\s*)?"
        + _PRODUCTS
    ),
    re.compile(
        r"(?:^|,\s+|\bthat\s+|\b[Tt]he\s+)"
        + _PRODUCTS
        + r"(?:,\s+(?:among\s+others|for\s+example|too),)?"
        r"\s+(?:versions?\s+|releases?\s+)?(?:would|will|is|are|was|were|has|have|had)\s+(?:now\s+)?"
        r"(?:be\s+|been\s+)?(?:now\s+)?(?:dual[- ])?(?:licen[cs]ed|released|distributed|ship"
        r"|changed|moved|switched|relicensed|transitioned)"
    ),
    re.compile(r"\b(?:of|for)\s+" + _PRODUCTS + r"(?=\s+(?:from|to|away|off)\b)"),
    # "transition Akka from ...", "returning Mergekit to the LGPL", "changing Akka's license"
    re.compile(
        r"\b(?:transition\w*|mov(?:e|es|ed|ing)|switch\w*|return\w*|chang\w*|bring\w*|brought)\s+"
        r"(?:the\s+|its\s+)?" + _PRODUCTS + r"(?=\s+(?:from|to|back|under)\b|['’]s\s+licen[cs])"
    ),
    re.compile(r"\bproducts?,?\s+" + _PRODUCTS),
    # "for its future contributions to Synapse", "its development of the Synapse Matrix
    # homeserver", "Element, the primary developer behind Synapse"
    re.compile(
        r"\b(?:(?:contributions|development|work)\s+(?:to|of|on)"
        r"|(?:developer|maker|creator|maintainer)s?\s+(?:behind|of))\s+(?:the\s+)?" + _PRODUCTS
    ),
    # "... to become AGPL, like OTRS or POV-Ray", "comme OTRS ou POV-Ray ou Grafana"
    re.compile(
        # ("plataformas como Hugging Face, Azure y AWS": where it is offered, no product)
        r"(?<!platforms)(?<!plataformas)(?<!plateformes)(?<!Plattformen)(?<!piattaforme)"
        r",?\s+(?:like|such\s+as|including|comme|notamment|wie|etwa|como|tales\s+como)\s+"
        r"(?P<m>[A-Z][\w.+-]*(?:\s[A-Z][\w.+-]*)?(?:(?:\s*,\s*|\s+(?:and|or|et|ou|y|o|und|oder)\s+)"
        r"[A-Z][\w.+-]*(?:\s[A-Z][\w.+-]*)?)*)"
    ),
    re.compile(r"\blicen[cs]e\s*(?:\([^)]*\)\s*)?for\s+(?:the\s+|its\s+)?" + _PRODUCTS),
)
_NOT_PRODUCT_WORD = {"The", "This", "That", "Today", "In", "On", "We", "Our", "It", "License"}


def _software_names(text: str, matches: Sequence[LicenseMatch]) -> list[str]:
    """The software products (outside the actor registry) a license sentence is about:
    "relicensing Grafana, Grafana Loki, and Grafana Tempo", "Redis would be licensed"."""
    spans = [(m.start, m.end) for m in matches]
    for pattern in _SOFTWARE_NAME:
        for m in pattern.finditer(text):
            names = []
            for part in re.split(
                r"\s*,\s*(?:and\s+)?|\s+(?:and|or|et|ou|y|o|und|oder)\s+(?:the\s+)?", m.group("m")
            ):
                part = part.strip(" .")
                start = m.start("m") + m.group("m").find(part)
                if not part or part.split()[0] in _NOT_PRODUCT_WORD:
                    continue
                if " " not in part and part.lower().endswith("ly") and part[1:].islower():
                    continue  # "Lately, FooDB and BarStore": a sentence adverb
                if any(s <= start < e for s, e in spans) or _UNLISTED_WORDS.search(part):
                    continue
                names.append(part)
            if names:
                return list(dict.fromkeys(names))
    return []


_UNLISTED_WORDS = re.compile(r"\b(?:Licen[cs]e|License\s+Agreement)\b", re.IGNORECASE)


def _document_versions(matches: Sequence[LicenseMatch]) -> dict[str, str]:
    """The one versioned id per license stem that the document names with its version."""
    by_stem: dict[str, set[str]] = {}
    for m in matches:
        if any(ch.isdigit() for ch in m.text) and _ID_VERSION.search(m.id):
            by_stem.setdefault(license_stem(m.id), set()).add(m.id)
    return {stem: next(iter(ids)) for stem, ids in by_stem.items() if len(ids) == 1}


def _with_document_version(match: LicenseMatch, versions: dict[str, str]) -> LicenseMatch:
    """ "OpenMDW" in a story about "OpenMDW-1.1" is that version."""
    if any(ch.isdigit() for ch in match.text):
        return match
    versioned = versions.get(license_stem(match.id))
    if versioned is None or versioned == match.id:
        return match
    return dataclasses.replace(match, id=versioned)


def _org_subject(text: str) -> str | None:
    """An organisation outside the actor registry announcing something in ``text``: the
    subject of the announcement, "Grafana's relicensing", "a license created by Elastic"."""
    for pattern in (_ORG_SUBJECT, _ORG_POSSESSIVE, _ORG_BY):
        for m in pattern.finditer(text):
            org = " ".join(m.group("org").strip(" .").split())
            org = _ORG_TAIL.sub("", org)
            described = text[m.end("org") : m.end()]
            if _PRODUCT_APPOSITIVE.search(described) and not _MAKER_APPOSITIVE.search(described):
                continue  # "Terraform, a popular infrastructure as code tool, announced"
            if org.split()[0] in _ORG_STOP or _SIZED_NAME.search(org):
                continue  # "While Lucie-7B is released": a conjunction, a sized model
            return org
    return None


_SIZED_NAME = re.compile(r"-\d+(?:\.\d+)?[BbMm]\b")


_ORG_TAIL = re.compile(r"(?:\s+(?:Now|Today|Also|Officially|Finally|Just))+$")
_MAKER_APPOSITIVE = re.compile(
    r"\b(?:developer|maker|company|creator|vendor|startup|firm|lab|maintainer|steward"
    r"|organi[sz]ation|foundation|provider|owner|team|corporation|publisher)s?\b",
    re.IGNORECASE,
)
_PRODUCT_APPOSITIVE = re.compile(
    r"^,\s+(?:the|a|an)\s+[^,—–]*\b(?:tool|platform|database|software|project|library|framework"
    r"|server|toolkit|engine|app|application|product|system|language)s?\b",
    re.IGNORECASE,
)


_ORG_NAME = r"(?P<org>[A-Z][\w&.-]*(?:\s[A-Z][\w&.-]*){0,2}?)"
_ORG_POSSESSIVE = re.compile(
    _ORG_NAME + r"['’]s\s+(?:re-?licens\w*|licen[cs]\w*\s+change|move|switch|shift|decision|work"
    r"|announcement|plan)\b"
)
_ORG_BY = re.compile(
    r"\b(?:created|introduced|developed|written|drafted|authored|published)\s+by\s+(?:the\s+)?"
    + _ORG_NAME
    + r"(?=[\s,.;]|$)"
)


def _from_family(text: str) -> str | None:
    """The license family a change leaves when no license text is named."""
    m = _FROM_FAMILY.search(text) or _FROM_FAMILY_ZH.search(text)
    if m is None:
        return None
    return "LicenseRef-Non-Commercial" if m.group("nc") else "LicenseRef-Research-Only"


_DETERMINER = re.compile(
    r"(?:\b(?:the|its|our|their|this|a|an|new|der|die|das|le|la|les|el|los|notre|nuestro"
    r"|o|os|as|il|lo|het|de|um|uma)\s+)$",
    re.IGNORECASE,
)
_PRODUCT_BEFORE = re.compile(r"((?:[A-Z][\w.+]*[\s-]+){1,3})$")
# a Japanese or Korean case particle written onto a name ("Meta는", "Googleが")
_PARTICLE_END = re.compile(r"(?<=[A-Za-z0-9])[는은가이를을의はがをもの]\s*$")
_NOT_PRODUCT = {
    "The",
    "Its",
    "Our",
    "This",
    "A",
    "An",
    "Their",
    "New",
    "Open",
    "Source",
    "Der",
    "Die",
    "Das",
    "Ein",
    "Eine",
    "Le",
    "La",
    "Les",
    "Un",
    "Une",
    "El",
    "Los",
    "Las",
    "Su",
    "O",
    "Os",
    "As",
    "Il",
    "Lo",
    "Het",
    # quantifiers: "Several tools", "Many libraries" name no product
    "Several",
    "Many",
    "Some",
    "Other",
    "Most",
    "All",
    "Both",
    "Few",
}


def _subject(
    text: str, matches: Sequence[LicenseMatch], models: Sequence[tuple[Mention, int, int]]
) -> tuple[SubjectKind, str | None] | None:
    """What the first license of the sentence is attached to when it is not a model: a CLI,
    an app, an SDK, a dataset named between the last model mention and the license, or a
    license followed by "code"/"software" ("Apache-licensed code"). None: a model."""
    first = matches[0]
    clause_start = max(text.rfind(";", 0, first.start), text.rfind(". ", 0, first.start), 0)
    model_end = max((e for _m, _s, e in models if e <= first.start), default=clause_start)
    window_start = max(clause_start, model_end)
    window = text[window_start : first.start]
    found = None
    for m in _SUBJECT_NOUN.finditer(window):
        found = m
    if found is None:
        after = _NOT_MODEL_AFTER.match(text, first.end)
        if after is not None and not models:
            return ("software", None)
        return None
    if _MODEL_NOUN.search(window, found.end()):
        return None  # "the code and the model weights are under ...": the model
    nouns = list(_MODEL_NOUN.finditer(window, max(0, found.start() - 40), found.start()))
    listed = nouns[-1] if nouns else None
    if listed is not None and _WEIGHTS_THEN.fullmatch(window, listed.end(), found.start()):
        return None  # "权重、推理代码和技术文档", "weights, inference code": the model first
    noun = found.group(0)
    before = window[: found.start()]
    product = _PRODUCT_BEFORE.search(before)
    if product is not None and _PARTICLE_END.search(product.group(1)):
        product = None  # "Meta는 데이터셋을 ...": the sentence's subject, not the name
    named = _NAMED_SUBJECT.match(text)
    if not (
        noun[:1].isupper()
        or product
        or _DETERMINER.search(before)
        or _CJK_NAMES.match(noun)
        or (named is not None and named.end() <= window_start + found.start())
    ):
        return None  # "supports tool use": not a named subject
    kind: SubjectKind = "software"
    if found.group("app") or found.group("zh_app"):
        kind = "app"
    elif found.group("dataset") or found.group("zh_dataset"):
        kind = "dataset"
    name = None
    if product:
        words = [w for w in product.group(1).split() if w not in _NOT_PRODUCT]
        if words and noun in ("CLI", "SDK"):
            words.append(noun)  # "Gemini CLI" is the product's name
        name = " ".join(words) or None
    if name is None:
        head = _NAMED_SUBJECT.match(text)
        if head is not None and head.group("name").split()[0] not in _NOT_PRODUCT:
            name = head.group("name").strip()
    return (kind, name)


_WEIGHTS_THEN = re.compile(
    r"\s*(?:[、,，和与]|\band\b|\bund\b|\bet\b|\by\b)\s*[\w\s-]{0,12}?", re.I
)
# "Mistral Vibe is an open-source CLI coding assistant ...": the sentence's named subject.
_NAMED_SUBJECT = re.compile(r"^\W*(?P<name>[A-Z][\w.+-]*(?:\s[A-Z][\w.+-]*){0,2})\s+(?:is|are)\b")
# The predicate that says what the named subject is: "is an open-source, terminal-based AI
# agent", "is a command-line tool"; it ends where the sentence adds what the thing does.
_PREDICATE = re.compile(r"\s+(?:an?|the)\s+(?P<p>[^.;:]{1,100})")


def _described_subject(text: str) -> tuple[SubjectKind, str] | None:
    """(kind, name) when ``text`` introduces a named subject as something other than a model:
    "Mistral Vibe CLI is an open-source command-line coding assistant" -> ("app", "Mistral
    Vibe CLI"). None when the predicate calls it a model (or names nothing)."""
    head = _NAMED_SUBJECT.match(text)
    if head is None or head.group("name").split()[0] in _NOT_PRODUCT:
        return None
    predicate = _PREDICATE.match(text, head.end())
    if predicate is None:
        return None
    words = predicate.group("p")
    noun = _SUBJECT_NOUN.search(words)
    model = _MODEL_NOUN.search(words)
    if noun is None or (model is not None and model.start() < noun.start()):
        return None
    kind: SubjectKind = "software"
    if noun.group("app") or noun.group("zh_app"):
        kind = "app"
    elif noun.group("dataset") or noun.group("zh_dataset"):
        kind = "dataset"
    return kind, head.group("name")


_NOT_MODEL_AFTER = re.compile(
    r"[\s-]*(?:licen[cs]ed\s+)?(?:software|code|projects?|librar(?:y|ies)|tools?|packages?"
    r"|repositor(?:y|ies)|components?)\b",
    re.IGNORECASE,
)


def _masked(text: str, matches: Sequence[LicenseMatch]) -> str:
    """``text`` with license mentions blanked, so "Apache-licensed" is no release verb."""
    for m in matches:
        text = text[: m.start] + " " * (m.end - m.start) + text[m.end :]
    return text


# A license the release leaves behind: "abandoning the custom license", "a departure from
# the previous custom licenses"; in the next sentence only as its opening ("The prior
# custom license included ...", "This marks a departure from ...").
_PRIOR_TERMS = re.compile(
    r"(?:^\W*(?:(?:This|That|It)\s+(?:\w+\s+){0,3}?(?:departure|break|shift|change)\s+from"
    r"[^.;]{0,80}?licen[cs]"
    r"|The\s+(?:previous|prior|earlier|former|original|old)\s+(?:[\w-]+\s+){0,2}licen[cs]e))"
    r"|\b(?:abandon\w*|replac\w*|drop\w*|ditch\w*|(?:departure|break)\s+from)\s+(?:[\w'’-]+\s+){0,4}?"
    r"(?:previous|prior|earlier|former|original|old|custom|own|bespoke|restrictive)\s+"
    r"(?:[\w-]+\s+){0,2}licen[cs]e",
    re.IGNORECASE,
)
# An earlier state of the model's license: "Previous Gemma versions used ...", "Unlike its
# predecessor, ...", "initialement disponible uniquement pour les chercheurs", "La
# restricción anterior".
_EARLIER_STATE = re.compile(
    r"\b(?:previous|prior|earlier|older)\s+(?:[\w.-]+\s+){0,2}?(?:versions?|releases?|models?|generations?)"
    r"\s+(?:used|were|had|shipped|came)\b"
    r"|\bunlike\s+(?:its|their)\s+predecessors?\b"
    r"|\binitialement\s+(?:\w+\s+){0,3}?(?:disponible|réservé|publié)\w*\b"
    r"|\b(?:restricci[oó]n|licencia)\s+anterior\b|\binicialmente\s+(?:\w+\s+){0,3}?(?:disponible|bajo)\b"
    r"|\bzuvor\s+(?:nur\s+)?unter\b|\burspr[üu]nglich\s+(?:nur\s+)?(?:unter|für)\b",
    re.IGNORECASE,
)
# a cheap test before _ADOPTED_IT: the words right before "it"
_ADOPTED_IT_HINT = re.compile(r"\b(?:adopt(?:s|ed|ing)?|embrac\w*|to)\s+it\b", re.IGNORECASE)
# "Nvidia adopted it across Cosmos", "moved its models to it": a license named before
_ADOPTED_IT = re.compile(
    r"\b(?:adopt(?:s|ed|ing)?|embrac\w*|mov(?:e|es|ed|ing)\s+(?:[\w-]+\s+){0,4}?to"
    r"|switch(?:es|ed|ing)?\s+(?:[\w-]+\s+){0,4}?to)\s+it\b",
    re.IGNORECASE,
)
# "has updated the open source license that applies to ...": a change, license unnamed
_LICENSE_UPDATED = re.compile(
    r"\b(?:updat|chang|revis|modifi|amend)\w*\s+(?:(?:the|its|their|our)\s+)?(?:[\w-]+\s+){0,3}?"
    r"licen[cs](?:e|es|ing)\b",
    re.IGNORECASE,
)
_NEGATED_BEFORE = re.compile(
    r"(?:\b(?:not|never)|n['’]t)\s+(?:(?:yet|really|actually|truly|currently|even)\s+)?"
    r"(?:(?:released|licen[cs]ed|governed|distributed|available|offered|covered|published)\s+)?"
    r"(?:(?:under|by|with)\s+)?(?:(?:an?|the)\s+)?(?:(?:standard|true|real|permissive|open-source"
    r"|open\s+source|OSI-approved)\s+)*(?:licen[cs]es?\s+)?(?:(?:like|such\s+as)\s+)?$"
    r"|\bnot\b[^.;:]{0,70}\b(?:like|such\s+as)\s+$"
    r"|\b(?:nicht|kein\w*)\s+(?:unter\s+)?(?:der\s+|einer\s+)?$|\bn['’]est\s+pas\s+(?:sous\s+)?$"
    r"|\bno\s+(?:es|está)\s+(?:bajo\s+)?$"
    # "并未采用完全开放的 Apache 2.0", "不采用 Apache 2.0", "não usa a", "non è sotto", "nie jest
    # na licencji"
    r"|(?:并未|並未|没有|沒有|未|不)(?:采用|採用|使用|选择|選擇|遵循)[^。，,；]{0,12}$"
    r"|\b(?:não|non|nie|niet|geen)\s+(?:(?:é|è|jest|is|usa|utilizza|używa|gebruikt)\s+)?"
    r"(?:(?:sob|sotto|na|onder)\s+)?(?:(?:a|la|de|licencji)\s+)?$",
    re.IGNORECASE,
)
_LIST_OR = re.compile(
    r"\s*(?:,\s*)?(?:or|and|oder|und|ou|et|o|y|e|lub|of|或|和|与|、)?\s*(?:the\s+)?|\s*[,、]\s*"
)
_CUSTOM_WORD = re.compile(r"\b(?:custom|own|bespoke|proprietary)\b", re.IGNORECASE)
_LICENSED_AFTER = re.compile(r"[\s-]*licen[cs]ed", re.IGNORECASE)
_OBJECT_AFTER = re.compile(r"\s+(?:[\w-]+\s+){0,2}?(?:code|software|projects?)\b", re.IGNORECASE)


def _licensed_object(text: str, match: LicenseMatch) -> bool:
    """ "the Apache 2.0-licensed source code": the license qualifies a noun."""
    end = match.end
    if not match.text.lower().endswith(("licensed", "licenced")):
        after = _LICENSED_AFTER.match(text, end)
        if after is None:
            return False
        end = after.end()
    return _OBJECT_AFTER.match(text, end) is not None


_NO_CHANGE_BEFORE = re.compile(
    r"\b(?:remain(?:s|ed)?|stay(?:s|ed)?|continue[sd]?\s+to\s+be|still(?:\s+be)?)\s+(?:\w+\s+)?$"
    # "MinIO may change its license": a speculation, not a change
    r"|\b(?:may|might|could|considers?|considering|mulls?|mulling|rumou?red\s+to)\s+(?:\w+\s+)?$"
    r"|\bif\s+(?:\w+\s+){0,3}$",
    re.IGNORECASE,
)


# "converts to Apache 2.0 after two years", "reverts to MIT": the license a source-available
# license turns into at its change date, not one anything is released under now
_CONVERTS_BEFORE = re.compile(
    r"\b(?:conver(?:t|ts|ted|ting|sion)|revert(?:s|ed|ing)?|turns?\s+into)\s+(?:\w+\s+){0,2}?"
    r"(?:to|into)\s+(?:the\s+|an?\s+)?(?:[\w-]+\s+){0,1}$",
    re.IGNORECASE,
)
_SPECULATION = re.compile(r"\b(?:may|might|could|considers?|considering|if|whether)\b", re.I)
_FROM_JUST_BEFORE = re.compile(
    r"\b(?:from|von|de|desde|从)\s*(?:the\s+|an?\s+|der\s+|den\s+|dem\s+|die\s+|la\s+|el\s+|les\s+|los\s+)?$",
    re.IGNORECASE,
)
_PAIR_GAP_FROM_TO = re.compile(
    r"\s*(?:\([^)]{1,40}\)\s*)?(?:,\s*)?(?:to|zu|auf|à|a|al|para|naar|op|na|到|为)\s*"
    r"(?:the\s+|an?\s+|der\s+|la\s+|el\s+|o\s+|de\s+)?",
    re.IGNORECASE,
)


# "HashiCorp transitioned its product licensing, including Terraform": the organisation
# changes the license of its products, not of something named after it.
_OWN_PRODUCTS = re.compile(
    r"\b(?:its|their)\s+(?:[\w-]+\s+)?(?:products?|software|projects?|code|licensing|portfolio)\b",
    re.IGNORECASE,
)
_SUITE_HINTS = ("icenses", "icences", "license suite", "licence suite")
# "released version 4.0 of these licenses", "has released new licences", "introduce our 4.0
# licenses", "Version 4.0 licences have now been launched", "Released in 2013, the 4.0
# license suite ...": a new version of a suite of license texts named by its number.
_NEW_SUITE = re.compile(
    r"\b(?:releas|launch|introduc|publish|unveil)\w*\s+(?:[\w'’-]+\s+){0,2}?"
    r"(?:version\s+\d[\d.]*\s+of\s+(?:these|its|their|our|the)\s+licen[cs]es"
    r"|(?:new|our\s+\d[\d.]*|\d[\d.]*)\s+licen[cs]es)\b"
    r"|\bversion\s+\d[\d.]*\s+licen[cs]es\s+(?:have|has)\s+(?:now\s+)?been\s+"
    r"(?:launched|released|published|introduced)\b"
    r"|^\W*(?:Released|Launched|Published|Introduced)\b[^.;]{0,40},\s+the\s+\d[\d.]*\s+"
    r"licen[cs]e\s+suite\b",
    re.IGNORECASE,
)


def _row_changes(text: str, matches: Sequence[LicenseMatch], evidence: str) -> list[LicenseEvent]:
    """Changes read from table rows, one per row: "| Acme | AcmeDB | ... | Acme changed
    license (Apache to SSPL) |". The organisation is the subject of the change cell; the
    product is the cell after the organisation's own cell."""
    out: list[LicenseEvent] = []
    start = 0
    for line in text.split("\n"):
        end = start + len(line)
        inside = [m for m in matches if start <= m.start and m.end <= end]
        if line.lstrip().startswith("|") and len(inside) >= 2:
            pairs = [
                (a, b)
                for a, b in itertools.pairwise(inside)
                if _PAIR_GAP.fullmatch(text[a.end : b.start])
            ]
            if len(pairs) == 1:
                (old, new) = pairs[0]
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                change = next((c for c in cells if old.text in c and new.text in c), "")
                actor = _org_subject(change) or _org_subject(change + " changed")
                product = None
                if actor in cells:
                    after = cells[cells.index(actor) + 1 :]
                    product = next((c for c in after if c and c != change), None)
                out.append(
                    LicenseEvent(
                        "relicense", actor, product, old.id, new.id, evidence, 0.7, "software"
                    )
                )
        start = end + 1
    return out


# A release told before "adopting": "has launched Gemma 4, adopting an Apache 2.0 license"
_LAUNCHED_BEFORE = re.compile(
    r"\b(?:launch(?:ed|es)|releas(?:ed|es)|unveil(?:ed|s)|introduc(?:ed|es)|debut(?:ed|s))\b"
    r"[^.;:]{1,60},\s*$",
    re.IGNORECASE,
)
# The state a product had so far, before a change: "bisher unter", "so far under", "until
# now", "where before this was governed by"
_PAST_BEFORE = re.compile(
    r"\b(?:so\s+far|until\s+now|until\s+recently|up\s+to\s+now|bisher|bislang|zuvor|früher"
    r"|previously|formerly|traditionally|tradicionalmente|anteriormente|hasta\s+ahora|até\s+agora"
    r"|finora|dotychczas|wcześniej|tot\s+nu\s+toe|voorheen|auparavant|jusqu['’](?:à\s+présent|ici)"
    r"|before\s+(?:this|it|that|they)\s+(?:was|were|had))\b[^.;:]{0,60}$",
    re.IGNORECASE,
)
# A verb that makes a license text: the license after it is new, whatever change the
# sentence also tells ("decidió abandonar el modelo BSD y produjo la Licencia Apache 2.0")
_MADE_BEFORE = re.compile(
    r"\b(?:produced|created|wrote|drafted|authored|cre(?:ó|ou|arono?)|produjo|produziu"
    r"|ha\s+creato|a\s+créé|a\s+rédigé|erstellte|schuf|verfasste)\s+"
    r"(?:the\s+|an?\s+|la\s+|el\s+|o\s+|die\s+|der\s+|le\s+)?(?:new\s+|nueva\s+|nuevo\s+)?"
    r"(?:licen[cs]e\s+|licencia\s+|licença\s+|licenza\s+|Lizenz\s+)?$",
    re.IGNORECASE,
)


# German change verbs stand at the end of the clause, after the license they move to
_VERB_FINAL = re.compile(r"umgestellt|relizenzier|neu\s+lizenziert", re.IGNORECASE)


def _changes_license(text: str, matches: Sequence[LicenseMatch]) -> bool:
    """True when a change cue ("switches to", "now ships under", "replacing …") governs one
    of the licenses of the sentence, not some other object ("moving training to …")."""
    for first, second in itertools.pairwise(matches):
        # "from the Mozilla Public License (MPL) to the Business Source License": the two
        # ends of a change, whatever verb comes before
        if (
            _FROM_JUST_BEFORE.search(text[max(0, first.start - 12) : first.start])
            and _PAIR_GAP_FROM_TO.fullmatch(text[first.end : second.start])
            and not _SPECULATION.search(text[max(0, first.start - 40) : first.start])
        ):
            return True
        if (
            first.id != second.id
            and _PAST_BEFORE.search(text[max(0, first.start - 80) : first.start])
            and not _SPECULATION.search(text[max(0, first.start - 40) : first.start])
        ):
            # "Nachdem die Software bisher unter der Apache-2.0-Lizenz bereitgestellt wurde,
            # soll ... unter der SSPL erscheinen": the license so far, then another one
            return True
    for cue in _RELICENSE.finditer(text):
        if _NO_CHANGE_BEFORE.search(text[max(0, cue.start() - 25) : cue.start()]):
            continue  # "7.4.x remain dual-licensed": a state, not a change
        # "relicensed ...", "a partir de la versión 7.4, ... distribuirá su código bajo ...":
        # cues whose license may come late in the clause
        long_reach = cue.group(0)[:3].lower() in ("rel", "re-", "sta", "a p", "à p", "ab ")
        reach = _CUE_REACH * 2 if long_reach else _CUE_REACH
        if _ADOPT.fullmatch(cue.group(0)) and _LAUNCHED_BEFORE.search(text, 0, cue.start()):
            continue  # "Google has launched Gemma 4, adopting an Apache 2.0 license": a release
        for lic in matches:
            if _MADE_BEFORE.search(text[max(0, lic.start - 50) : lic.start]):
                continue  # "abandonar el modelo BSD y produjo la Licencia Apache 2.0": a new text
            if cue.start() - 10 <= lic.start <= cue.end() + reach:
                return True
            if (
                _VERB_FINAL.match(cue.group(0))
                and cue.start() - _CUE_REACH <= lic.end <= cue.start()
            ):
                return True  # "hat Nemotron 3 auf die OpenMDW-Lizenz umgestellt"
    return False


_REPO_ID = re.compile(
    r"(?<![\w/.-])[A-Za-z][\w.-]*/(?P<m>[A-Za-z][\w.-]*[A-Za-z0-9])(?=\s+(?:model|weights|checkpoint)s?\b)"
)
_TITLE_NAME = re.compile(r"^\s*(?:[\w.-]+/)?(?P<m>[A-Z][\w.]*(?:-[\w.]+)+)\s*$")


def _strip_sizes(name: str, table: LicenseTable) -> str:
    """A repository name without its parameter sizes and capitalised tuning suffixes:
    ``Teuken-7B`` -> ``Teuken``; lower-case words (``base`` in an embedding model's name)
    stay."""
    parts = name.split("-")
    kept = [
        p
        for i, p in enumerate(parts)
        if i == 0 or not (_SIZE.match(p) or (p[:1].isupper() and p.lower() in table.drop_words))
    ]
    return "-".join(kept)


def _repo_model(text: str, table: LicenseTable) -> str | None:
    """The model a Hugging Face style repository id names ("org/name model")."""
    m = _REPO_ID.search(text)
    return _strip_sizes(m.group("m"), table) if m else None


# "While Lucie-7B is released under ...": a sized name as the subject of the release
_SIZED_SUBJECT = re.compile(
    r"(?<![\w/.-])(?P<m>[A-Z][\w.]*(?:-[\w.]+)*-\d+(?:\.\d+)?[BbMm](?:-[\w.]+)*)\s+"
    r"(?:is|was|are|were|has\s+been|will\s+be)\s+(?:now\s+|also\s+|fully\s+)?"
    r"(?:released|licen[cs]ed|available|published|distributed|open-sourced)\b"
)


def _sized_subject(text: str, table: LicenseTable) -> str | None:
    """A model the registry does not know, named with its size as a release's subject."""
    m = _SIZED_SUBJECT.search(text)
    return _strip_sizes(m.group("m"), table) if m else None


def _title_model(title: str, table: LicenseTable) -> str | None:
    """A page titled with nothing but a versioned or sized model name ("Teuken-7B")."""
    m = _TITLE_NAME.match(title)
    if m is None or not any(ch.isdigit() for ch in m.group("m")):
        return None
    return _strip_sizes(m.group("m"), table)


def _name_near(actor: str, texts: Sequence[str], matches: Sequence[LicenseMatch]) -> str | None:
    """A model name the registry does not know, read from the sentence or the title:
    "<Actor>-V4" / "<Actor> 4", "ships ZAYA2", "<Name> models"."""
    licenses = {m.text.lower() for m in matches}
    if actor:
        versioned = re.compile(
            re.escape(actor)
            + r"(?P<sep>[- ])(?P<v>[Vv]?\d[A-Za-z0-9_.]*|[A-Z]\d[A-Za-z0-9_.]*)(?![A-Za-z0-9_-])"
        )
        for text in texts:
            m = versioned.search(text)
            if m:
                return f"{actor}{m.group('sep')}{m.group('v').rstrip('.')}"
    for pattern in (_NAME_AFTER_VERB, _NAME_BEFORE_NOUN):
        for text in texts:
            for m in pattern.finditer(text):
                name = m.group("m").rstrip(".,")
                bracket = _BRACKET_VARIANT.match(text, m.start("m") + len(name))
                if bracket is not None:
                    name += f" [{bracket.group(1)}]"  # "FLUX.1 [schnell]": the tier is kept
                first = name.split()[0].split("-")[0].lower()
                if first in _NOT_A_MODEL or name.lower() in licenses or name == actor:
                    continue
                if actor and first == actor.split()[0].lower():
                    # "OpenAI Privacy Filter": the organisation's name is not the model's
                    name = name[len(actor) :].strip(" -") if name.startswith(actor) else ""
                    if not name or name.split()[0].lower() in _NOT_A_MODEL:
                        continue
                if _VERSION.match(name):
                    if not actor:
                        continue
                    return f"{actor} {name}"
                return name
    return None


_TIER = re.compile(r"(?<![\w\]])\[(?P<t>[A-Za-z][\w-]{0,15})\]")


def _bracket_tier(
    name: str, text: str, matches: Sequence[LicenseMatch], license_id: str | None
) -> str:
    """The tier a later license of the sentence belongs to: in "released FLUX.1 [schnell]
    under Apache 2.0, while [dev] uses a non-commercial license" the second license is
    "FLUX.1 [dev]"'s."""
    ordered = list(matches)
    position = next((i for i, m in enumerate(ordered) if m.id == license_id), None)
    if not position:
        return name
    previous = ordered[position - 1]
    tiers = list(_TIER.finditer(text, previous.end, ordered[position].start))
    if len(tiers) != 1:
        return name
    base = re.sub(r"\s*\[[^\]]*\]$", "", name)
    return f"{base} [{tiers[0].group('t')}]"


def merge_events(events: Sequence[LicenseEvent]) -> tuple[LicenseEvent, ...]:
    """One event per model and license: a title and a body sentence about the same release
    become one event; change framing anywhere makes it a relicense; a named license wins
    over a bare "based on X" description of the same license."""
    merged: list[LicenseEvent] = []
    for event in events:
        for i, other in enumerate(merged):
            same_kind = (event.kind == "new_license") == (other.kind == "new_license")
            if (
                same_kind
                and event.subject_kind == other.subject_kind
                and event.to_license == other.to_license
                and (event.actor == other.actor or None in (event.actor, other.actor))
                and _same_model(event.model, other.model)
            ):
                merged[i] = _combine(other, event)
                break
        else:
            merged.append(event)
    # "Akka says goodbye to the Apache license" above "... to BSL v1.1": the change whose
    # target the passage names
    if any(e.kind == "relicense" and e.to_license for e in merged):
        merged = [e for e in merged if e.kind != "relicense" or e.to_license is not None]
    moved = {(e.actor, e.to_license) for e in merged if e.kind == "relicense"}
    # "NVIDIA adopts OpenMDW" when NVIDIA moves its models to OpenMDW: the move is the event
    merged = [
        e
        for e in merged
        if not (
            e.kind == "new_license"
            and e.actor
            and (e.actor, e.to_license) in moved
            and _ADOPT.search(e.evidence)
        )
    ]
    if any(e.kind == "new_license" for e in merged):
        # In a story about a new license text, a "release" naming neither an organisation
        # nor a model is the license's own terms being described, not a model release.
        merged = [e for e in merged if e.kind != "release" or e.actor or e.model]
        # "OpenMDW 1.2 published" and "version 1.2 of … known as OpenMDW" are one event:
        # the first (the title, when it names it) keeps its version. Another version its
        # sentence writes out ("EUPL 1.1 ... EUPL 1.2", "Apache License 1.1 ... 2.0") is an
        # event of its own.
        seen: dict[str, set[str]] = {}
        kept: list[LicenseEvent] = []
        for e in merged:
            if e.kind == "new_license":
                stem = license_stem(e.to_license or "")
                if stem in seen:
                    version = _ID_VERSION.search(e.to_license or "")
                    written = version is not None and re.search(
                        rf"(?<![\d.]){re.escape(version.group(1))}(?![\d])", e.evidence
                    )
                    if e.to_license in seen[stem] or not written:
                        continue
                seen.setdefault(stem, set()).add(e.to_license or "")
            kept.append(e)
        merged = kept
    named = {
        (e.actor, e.model)
        for e in merged
        # only a custom license can be the one "based on" another
        if (e.to_license or "").startswith("LicenseRef-")
        and not (e.to_license or "").startswith("LicenseRef-Modified-")
    }
    merged = [
        e
        for e in merged
        if not (e.to_license or "").startswith("LicenseRef-Modified-")
        or (e.actor, e.model) not in named
    ]
    # A release naming no model says nothing a named release of the same license does not
    # ("License: Apache-2.0" above "the repository's code is under Apache-2.0").
    # Likewise a change naming no model beside the same change naming its products.
    return tuple(
        e
        for e in merged
        if e.model is not None
        or e.kind == "new_license"
        or not any(
            o is not e
            and o.kind == e.kind
            and o.to_license == e.to_license
            and (o.model is not None or (e.kind == "release" and o.subject_kind != e.subject_kind))
            for o in merged
        )
    )


_VERSION_REST = re.compile(r"[ -][vV]?\d")


def _same_model(a: str | None, b: str | None) -> bool:
    """Unknown, equal, or one the family of the other ("Devstral" and "Devstral 2")."""
    if a is None or b is None or a == b:
        return True
    short, long = sorted((a, b), key=len)
    # "Devstral" and "Devstral 2" are one family; "Phi-4" and "Phi-4-mini" are two models;
    # "Loki" is "Grafana Loki" named without its maker
    if long.endswith(" " + short) and short[:1].isupper():
        return True
    return long.startswith(short) and _VERSION_REST.match(long, len(short)) is not None


def _combine(first: LicenseEvent, second: LicenseEvent) -> LicenseEvent:
    kind = "relicense" if "relicense" in (first.kind, second.kind) else first.kind
    models = [m for m in (first.model, second.model) if m]
    richer = second if (second.from_license and not first.from_license) else first
    sources = [e.from_license for e in (first, second) if e.from_license]
    # a named license ("CC-BY-NC-4.0") says more than its family ("non-commercial terms")
    source = next((f for f in sources if f not in _FAMILY_IDS), sources[0] if sources else None)
    return LicenseEvent(
        kind,  # type: ignore[arg-type]
        first.actor or second.actor,
        max(models, key=len) if models else None,
        source,
        first.to_license,
        richer.evidence,
        max(first.score, second.score),
        first.subject_kind,
    )


def _clip(text: str, offset: int) -> str:
    """The sentence, cut to a window around ``offset`` when it is very long."""
    if len(text) > EVIDENCE_CHARS * 1.5:
        half = EVIDENCE_CHARS // 2
        text = text[max(0, offset - half) : offset + half]
    return " ".join(text.split())
