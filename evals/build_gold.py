"""Build the evaluation gold set ``evals/gold.jsonl``.

The questions are hand-written (colloquial, paraphrased, some with unit aliases and a few
typos). The answer sets that are lists by nature -- a unit's complete duty list (any role,
or one role) and the deadline lists ("2022年底前要完成哪些任务") -- are computed from the
independent hand annotation (``evals/annotation``, read by ``evals.facts``), never from the
assistant's parser, so the gold can catch parser errors.

    python -m evals.build_gold            # rewrite evals/gold.jsonl
    python -m evals.build_gold --check    # exit 1 if evals/gold.jsonl is out of date

Deadline rule (also stated in tests/test_gold_set.py): a measure is "due by the end of
year Y" when one of its dated deadlines (kinds 底前 / 底 / 前, i.e. not 每年) has year Y;
the month does not matter (2022年6月底前 and 2022年6月前 are both due before 2022年底).
Recurring 每年 duties are a separate list.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.plan import load_plan
from assistant.records import Plan, Role

from .facts import Facts

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "ningxia-rule-of-law-government-plan-2021-2025.txt"
GOLD = ROOT / "evals" / "gold.jsonl"



# ---------------------------------------------------------------- computed sets

def named_units(facts: Facts) -> list[str]:
    """Units the annotation names directly, in order of first mention (no designations)."""
    return [u for u in facts.named_units() if not _is_designation(u)]


def _is_designation(name: str) -> bool:
    return name.startswith("各") or "各部门" in name or "有关部门" in name or "其他部门" in name


def unit_measures(facts: Facts, unit: str, role: Role | None = None) -> list[int]:
    return facts.unit_measures(unit, role.value if role else None)


def due_in_year(facts: Facts, year: int, months: tuple[int, ...] | None = None) -> list[int]:
    """Measures with a dated deadline in `year` (optionally only those naming one of `months`)."""
    return [m.number for m in facts.measures
            if any(d.year == year and (months is None or d.month in months) for d in m.dated())]


def annual_measures(facts: Facts) -> list[int]:
    return facts.annual_measures()


def dated_measures(facts: Facts) -> list[int]:
    return facts.dated_measures()


# ---------------------------------------------------------------- measure questions
# (expected measure numbers, question, key facts). One or more per measure; several
# numbers mean several measures answer the question equally well (match "any").

MEASURE_QUESTIONS: list[tuple[list[int], str, list[str]]] = [
    ([1], "机构改革这块，政府组织结构优化和职能转变要怎么统筹？政府和市场的关系怎么摆？", ["有效市场和有为政府"]),
    ([2], "方案里有没有说怎么防止政府乱插手微观经济活动？", ["微观经济"]),
    ([3], "县里能不能把编制在乡镇和街道之间调来调去？编制要往基层倾斜吗", ["编制资源", "动态管理"]),
    ([4], "县级政府部门的权责清单还要调整吗？权责清单制度怎么落实", ["权责清单"]),
    ([5], "各地能不能自己出一个市场准入的负面清单？", ["非禁即入"]),
    ([6], "审批服务要推行的“马上办、网上办”那几个办具体是啥？", ["马上办", "掌上办"]),
    ([6], "怎么防止用备案、登记这些方式变相设置行政许可？", ["变相设置行政许可"]),
    ([7], "“一业一证”改革方案里是怎么要求的？", ["一业一证", "一证准营"]),
    ([8], "投资审批制度改革归谁管？发改委要做什么", ["投资审批制度改革"]),
    ([9], "证明事项告知承诺制的清单啥时候要建起来？", ["2022年6月底前", "告知承诺清单"]),
    ([10], "双随机一公开、互联网+监管这套新型监管机制是哪几家牵头的？", ["信用监管", "人行银川中心支行"]),
    ([11], "监管的频次和方式是统一定死的，还是按风险程度来定？", ["风险程度", "频次"]),
    ([12], "高频事项“跨省通办”要求什么时候做到？", ["跨省通办", "2021年底前"]),
    ([12], "老年人、残疾人不会用手机办事，方案里有照顾吗？", ["老年人、残疾人"]),
    ([13], "优化营商环境条例要出台吗？“1+16”政策文件是哪条里提的", ["优化营商环境条例", "1+16"]),
    ([14], "市场准入隐性壁垒台账哪年之前要建好？", ["2023年底前", "隐性壁垒台账"]),
    ([15], "政府定规章、规范性文件的时候要不要听企业和商会的意见？", ["行业协会商会"]),
    ([16], "反垄断、反不正当竞争执法这块是不是市监厅牵头？", ["反垄断", "自治区市场监管厅"]),
    ([17], "公平竟争审查的范围都包括哪些文件？", ["公平竞争审查", "一事一议"]),
    ([18], "哪些重点领域要加强立法？人工智能、大数据这些有没有提", ["人工智能", "九大重点产业"]),
    ([19], "行政复议条例和行政执法监督条例要不要修订？", ["行政复议条例", "行政执法监督条例"]),
    ([20], "政府立法和人大立法怎么协同？立法项目能向社会公开征集吗", ["协同性", "公开征集"]),
    ([21], "立法之前要做风险评估吗？争议大的能不能请第三方评估", ["第三方评估", "立法后评估"]),
    ([22], "地方性法规和规章草案公开征求意见一般要多长时间？", ["30日", "征求意见"]),
    ([22], "基层立法联系点发挥什么作用？", ["民意直通车"]),
    ([23], "政府规章的层级监督和备案审查是谁在抓？", ["层级监督", "备案审查"]),
    ([24], "区域协同立法怎么推进，法工委和司法厅要做什么？", ["区域协同立法"]),
    ([25], "规范性文件的统一登记、统一编号、统一印发和有效期制度是哪条？", ["统一登记", "有效期制度"]),
    ([26], "各部门发文政出多门、政策效应互相抵消，方案怎么解决？", ["政出多门"]),
    ([27], "跟上位法不一致的规范性文件怎么处理？", ["动态清理", "废止"]),
    ([28], "老百姓觉得某个规范性文件有问题，能提审查建议吗？", ["建议审查渠道", "合法性审核"]),
    ([29], "领导作重大决策之前必须先听谁的意见？", ["合法性审查机构", "法律顾问"]),
    ([30], "重大决策终身责任追究制怎么落实？跟巡视巡察有什么关系", ["终身责任追究", "巡视巡察"]),
    ([31], "重大行政决策的合法性审查最少要给几天时间？", ["7个工作日"]),
    ([31], "重大行政决策事项年度目录要公布吗？", ["年度目录"]),
    ([32], "重大行政决策向社会征求意见期限一般多长？要开听证会吗", ["30日", "听证会"]),
    ([33], "专业性强的决策事项要不要组织专家论证？咨询论证专家库怎么用", ["咨询论证专家库"]),
    ([34], "决策作出来以后执行情况谁督促？执行主体要向谁报告", ["执行主体", "执行时限"]),
    ([35], "什么情况下要对重大行政决策做后评估？", ["后评估"]),
    ([36], "综合执法改革以后，自治区级还设执法队伍吗？县里是不是“局队合一”", ["局队合一", "一支队伍管执法"]),
    ([37], "乡镇街道和上一级部门之间的执法案件移送机制谁来建？", ["案件移送"]),
    ([38], "跨部门联合执法要做到哪“三互”？", ["违法线索互联", "处理结果互认"]),
    ([39], "行政执法和刑事司法怎么衔接？“两法衔接”平台是哪条", ["两法衔接", "刑事司法衔接"]),
    ([40], "执法制服、标志和执法装备配备的事情是哪一条管的？", ["制式服装", "执法装备配备"]),
    ([41], "哪些重点领域要加大执法力度，金融服务算不算？", ["金融服务", "集中专项整治"]),
    ([42], "惩罚性赔偿、巨额罚款和终身禁入这些制度要健全吗？", ["惩罚性赔偿", "终身禁入"]),
    ([43], "举报严重违法行为的人会有奖励和保护吗？", ["投诉举报", "予以奖励"]),
    ([44], "执法三项制度和行政裁量权基准是怎么要求的？", ["执法全过程记录", "裁量权基准"]),
    ([45], "涉企检查太多太频繁怎么办？内部会议纪要能当执法依据吗", ["会议纪要", "涉企"]),
    ([46], "执法证的管理办法要修订吗？执法资格考试谁统筹", ["行政执法证件管理办法", "资格考试"]),
    ([47], "执法案卷评查要定期搞吗？执法记录的资料怎么归档", ["案卷评查", "归档保存"]),
    ([48], "轻微违法能不能不罚？柔性执法方案里怎么说的", ["免予处罚清单", "有温度"]),
    ([49], "行政执法案例指导制度哪年要建起来？", ["2022年底前", "指导案例"]),
    ([50], "“谁执法谁普法”的普法责任制是谁牵头？", ["谁执法谁普法", "以案释法"]),
    ([51], "突发事件应对相关的地方性法规、规章要系统梳理修改吗？", ["突发事件应对法治化"]),
    ([52], "应急预案体系怎么健全？突发事件里的征收征用补偿有规定吗", ["应急预案", "征用"]),
    ([53], "应急处置的时候收集和使用个人信息有什么要求？", ["个人信息"]),
    ([54], "突发事件里的行政手段怎么规范，权力边界在哪？", ["行政权力边界"]),
    ([55], "容易引发灾害的危险源、危险区域要不要登记和做风险评估？", ["危险源", "风险评估"]),
    ([56], "应急管理综合行政执法改革谁牵头？", ["应急管理综合行政执法"]),
    ([57], "平战结合是哪条提的？要定期搞应急演练吗", ["平战结合", "应急演练"]),
    ([58], "特别重大突发事件的舆情，多长时间内要发布权威信息？", ["5小时", "1小时"]),
    ([59], "疫情期间有人哄抬物价、囤积居奇，方案说怎么处理？", ["哄抬物价", "囤积居奇"]),
    ([60], "突发事件应急处置的法律法规培训是哪家牵头？", ["教育培训", "自治区应急厅"]),
    ([61], "村和社区怎么参与突发事件应对？志愿者参与有激励吗", ["志愿者", "村（社区）"]),
    ([62], "社会应急力量的备案登记、调用补偿和保险保障有制度吗？", ["社会应急力量", "调用补偿"]),
    ([63], "消费者纠纷、交通事故赔偿这种能走行政调解吗？", ["行政调解", "交通损害赔偿"]),
    ([64], "“三调”联动是什么意思，谁牵头？", ["三调", "司法调解"]),
    ([64], "大调解工作格局那条，高院是不是牵头单位之一？", ["大调解", "高级法院"]),
    ([65], "行政裁决在哪些领域要探索多元化解机制？", ["自然资源权属", "分流阀"]),
    ([66], "行政裁决的权利告知制度和程序规范是哪条？", ["权利告知", "回避"]),
    ([67], "行政裁决事项清单什么时候公布？", ["2022年底前", "行政裁决事项清单"]),
    ([67], "行政裁决制度试点需要人大常委会授权吗？", ["授权", "试点"]),
    ([68], "行政复议体制改革什么时候要基本成型？", ["2022年底前", "行政复议体制"]),
    ([69], "县一级要建行政复议委员会吗？啥时候之前", ["2022年6月前", "行政复议委员会"]),
    ([70], "行证复议决定书要在网上公开吗？", ["网上公开", "行政复议决定书"]),
    ([71], "行政机关负责人出庭应诉率要达到多少？", ["100%", "出庭率"]),
    ([72], "拒不执行法院生效裁判的地方，还能评法治政府示范吗？", ["生效裁判", "示范创建"]),
    ([73], "行政公益诉讼政府部门怎么配合检查院？", ["行政公益诉讼", "检察院"]),
    ([74], "收到司法建议、检察建议以后我们要做什么？", ["检察建议", "反馈"]),
    ([75], "各类监督怎么贯通协调？统计监督、审计监督有提到吗", ["统计监督", "党内监督"]),
    ([76], "公职人员违法了怎么追责？要接受纪检监察监督吗", ["纪检监察机关", "处分"]),
    ([77], "“三个区分开来”和干部担当作为的激励保护是哪条？", ["三个区分开来", "激励和保护机制"]),
    ([78], "政府督查重点查哪些事情？", ["政府督查", "行政效能"]),
    ([79], "督查结论怎么用？干得好的有没有表扬", ["奖惩并举", "表扬"]),
    ([80], "区市县乡全覆盖的行政执法协调监督工作体系哪年建成？", ["2022年底", "协调监督工作体系"]),
    ([81], "上级能不能给下面下达罚没指标？", ["罚没指标"]),
    ([81], "行政执法监督员制度什么时候要建起来？", ["行政执法监督员制度", "2022年底"]),
    ([82], "政务公开事项标准目录多久编一次？", ["每年编制政务公开事项标准目录"]),
    ([83], "依申请公开政府信息，答复率要达到多少？", ["100%", "答复率"]),
    ([84], "政府欠帐不还、违约毁约这种失信行为怎么治？", ["拖欠账款", "政务诚信"]),
    ([85], "区市县乡村五级网上政务全覆盖什么时候实现？", ["五级", "2023年底前"]),
    ([85], "新型智慧城市建设，城市云脑“一体贯通”是哪条？", ["城市云脑", "智慧城市"]),
    ([86], "现行有效的法规规章和规范性文件能统一公开查询吗？", ["统一公开查询"]),
    ([87], "电子证照、电子印章、统一身份认证的推广是哪一条？", ["电子印章", "政务数据共享"]),
    ([88], "“互联网+监管”各平台的数据什么时候联通汇聚？", ["2022年底前", "联通汇聚"]),
    ([89], "执法APP掌上执法哪年之前要实现？", ["2024年底前", "掌上执法"]),
    ([90], "人少事多，能不能搞远程监管、移动监管这种非现场监管？", ["非现场监管"]),
    ([91], "全区行政执法数据库啥时候建成？", ["2023年底前", "行政执法数据库"]),
    ([92], "党委一年要听几次法治政府建设的工作汇报？", ["每年至少听取一次工作汇报"]),
    ([93], "法治政府建设的工作经费从哪出？", ["年度财政预算"]),
    ([93], "部门一把手在法治政府建设里是什么责任？", ["第一责任人"]),
    ([94], "各地法治建设议事协调机构要干啥？", ["议事协调机构"]),
    ([95], "依法治区（市、县）委员会办公室一年至少督察几次？", ["1次", "督察"]),
    ([96], "法治政府建设年度报告要向社会公开吗？", ["年度报告", "向社会公开"]),
    ([97], "依法行政情况算不算领导班子考核内容？", ["考核权重", "依法行政情况"]),
    ([98], "应知应会法律法规清单是哪条提的？民法典怎么用", ["应知应会", "民法典"]),
    ([99], "政府领导班子每年要办几期法治专题讲座？", ["两期以上"]),
    ([100], "基层司法所的职能定位要调整吗？法治机构人员经费怎么保障", ["司法所", "法治机构建设"]),
    ([101], "新录用的公务员初任培训要学法治吗？", ["初任培训", "法治教育"]),
    ([102], "法治政府建设有突出贡献的单位和个人有表彰吗？是人社厅牵头吗", ["表彰奖励", "人力资源社会保障厅"]),
    ([103], "政府立法人才怎么培养和储备？", ["立法人才"]),
    ([104], "执法人员每年要陪训多少学时？", ["60学时"]),
    ([105], "行政复议工作队伍建设有什么要求？", ["行政复议工作队伍", "执业行为"]),
    ([106], "法律顾问和公职律师队伍建设是哪一条？要落实哪个意见", ["公职律师", "法律顾问工作"]),
    ([107], "行政裁决工作队伍怎么建？要不要配强人", ["行政裁决工作队伍", "配强工作人员"]),
    ([108], "党校、高校、法学研究机构开展法治政府理论研究是谁牵头？", ["理论研究", "高等院校"]),
    ([109], "法治政府评估怎么发挥专家的作用？", ["智囊", "评估"]),
    ([110], "法治政府建设的成就经验怎么宣传？", ["宁夏声音", "典型宣传"]),
    # measures asked with unit aliases / several valid citations
    ([14], "发改委和商务厅在外商投资准入方面要做什么？", ["外商投资", "负面清单"]),
    ([52], "工信厅、卫健委和应急厅一起牵头的那条是啥内容？", ["应急预案"]),
    ([63], "住建厅在行政调解里负责什么？房屋土地征收纠纷调解", ["房屋土地征收", "行政调解"]),
    ([39], "政法委和司法厅负责的行刑衔接那条说了什么", ["两法衔接"]),
    ([53], "网信办在应急处置个人信息保护上有什么任务？", ["个人信息"]),
    ([3], "编办在基层编制资源调剂上有啥要求？", ["编制资源"]),
    ([6, 9], "告知承诺制在方案里是怎么要求的？", ["告知承诺"]),
    ([12, 85], "“我的宁夏”政务APP要做成什么样？", ["我的宁夏"]),
    ([69, 70], "提高行政复议办案质量和效率有哪些举措？", ["行政复议"]),
    ([22, 32], "公开征求意见一般不少于多少天？", ["30日"]),
]


# ---------------------------------------------------------------- unit questions
# (canonical unit, question). Expected = every measure naming the unit in any role.

UNIT_QUESTIONS: list[tuple[str, str]] = [
    ("自治区司法厅", "司法厅在方案里承担哪些任务？全部列一下"),
    ("自治区政府办公厅", "政府办要负责哪些事？"),
    ("自治区应急厅", "应急管理厅在这个方案里要做什么？"),
    ("自治区市场监管厅", "市监厅涉及哪些措施？"),
    ("自治区公安厅", "我是公安厅的，我们要干什么？"),
    ("自治区党委依法治区办", "依法治区办有哪些任务？"),
    ("自治区人大常委会法工委", "人大法工委要做什么？"),
    ("自治区高级法院", "高院在方案里涉及哪些任务？"),
    ("自治区党委编办", "编办要做什么？"),
    ("自治区发展改革委", "发改委负责哪些任务？"),
    ("自治区党委组织部", "党委组织部在方案里有哪些任务？"),
    ("自治区卫生健康委", "卫健委要干啥？"),
    ("自治区检察院", "检察院在方案里有什么任务？"),
    ("自治区财政厅", "财政厅要做什么？"),
    ("自治区纪委监委", "纪委监委涉及哪些措施？"),
    ("自治区党委办公厅", "党委办公厅负责什么？"),
    ("人行银川中心支行", "人民银行银川中心支行有哪些任务？"),
    ("自治区交通运输厅", "交通厅要做什么？"),
    ("自治区生态环境厅", "生态环境厅的任务有哪些？"),
    ("自治区自然资源厅", "自然资源厅要做啥？"),
    ("自治区人力资源社会保障厅", "人社厅要做什么？"),
    ("自治区党委宣传部", "党委宣传部要干什么？"),
    ("自治区审计厅", "审计厅要做什么？"),
    ("自治区党委政法委", "政法委有什么任务？"),
    ("自治区教育厅", "我是教育厅的，方案里我们要干什么？"),
    ("自治区住房城乡建设厅", "住建厅涉及哪些措施？"),
    ("自治区工业和信息化厅", "工信厅要做什么？"),
    ("自治区人大常委会办公厅", "人大常委会办公厅有哪些任务？"),
    ("自治区商务厅", "商务厅要做什么？"),
    ("自治区农业农村厅", "农业农村厅有什么任务？"),
    ("自治区文化和旅游厅", "文旅厅要做什么？"),
    ("自治区药监局", "药监局在方案里有啥任务？"),
    ("自治区水利厅", "水利厅要干什么？"),
    ("宁夏银保监局", "银保监局涉及哪些措施？"),
    ("宁夏证监局", "证监局要做什么？"),
    ("自治区党委全面依法治区委员会守法普法协调小组", "守法普法协调小组负责什么？"),
    ("自治区党委网信办", "网信办要做什么？"),
    ("自治区民政厅", "民政厅要干啥？"),
    ("自治区政协办公厅", "政协办公厅在方案里有什么任务？"),
    ("自治区统计局", "我是统计局的，我们要干什么？"),
    ("自治区党校（行政学院）", "党校（行政学院）要做什么？"),
    ("自治区社科院", "社科院有什么任务？"),
    ("自治区法学会", "法学会要做什么？"),
]

# Role-specific unit questions: expected = the measures naming the unit in that role.
UNIT_ROLE_QUESTIONS: list[tuple[str, Role, str]] = [
    ("自治区卫生健康委", Role.LEAD, "卫健委牵头哪些任务？"),
    ("自治区高级法院", Role.LEAD, "高院牵头的任务有哪些？"),
    ("自治区检察院", Role.LEAD, "检察院牵头了什么工作？"),
    ("自治区公安厅", Role.PARTICIPANT, "公安厅作为参加单位参与了哪些措施？"),
    ("自治区党委依法治区办", Role.LEAD, "依法治区办牵头负责哪些措施？"),
    ("自治区发展改革委", Role.LEAD, "发改委牵头的有哪几项？"),
    ("自治区应急厅", Role.RESPONSIBLE, "应急厅作为责任单位的措施有哪些？"),
    ("自治区党委编办", Role.PARTICIPANT, "编办作为参加单位的是哪条？"),
]


# ---------------------------------------------------------------- the rest

def _part(plan: Plan, number: int) -> list[int]:
    return [m.number for m in plan.measures_in_part(number)]


def build(plan: Plan) -> list[dict]:
    items: list[dict] = []
    annotated = Facts()

    def add(category: str, question: str, expected, match: str = "any", key_facts=(),
            history=(), refused: bool = False, **extra) -> None:
        item = {"id": "", "category": category, "question": question, "history": list(history),
                "expected": sorted(expected), "match": match, "refused": refused,
                "key_facts": list(key_facts)}
        item.update(extra)
        n = sum(1 for i in items if i["category"] == category) + 1
        item["id"] = f"{category}-{n:03d}"
        items.append(item)

    # measure
    for expected, question, facts in MEASURE_QUESTIONS:
        add("measure", question, expected, "any", facts)

    # unit
    assert sorted(u for u, _ in UNIT_QUESTIONS) == sorted(named_units(annotated)), "unit list drifted"
    for unit, question in UNIT_QUESTIONS:
        add("unit", question, unit_measures(annotated, unit), "all", unit=unit)
    for unit, role, question in UNIT_ROLE_QUESTIONS:
        add("unit", question, unit_measures(annotated, unit, role), "all", unit=unit, role=role.value)

    # deadline (lists computed; single-measure deadlines hand-checked against the parser)
    add("deadline", "2022年底前要完成哪些任务？", due_in_year(annotated, 2022), "all", ["2022年底"])
    add("deadline", "2023年底前有哪些任务要完成？", due_in_year(annotated, 2023), "all", ["2023年底前"])
    add("deadline", "2021年底前要完成什么？", due_in_year(annotated, 2021), "all", ["2021年底前"])
    add("deadline", "2024年底前要干成什么事？", due_in_year(annotated, 2024), "all", ["2024年底前"])
    add("deadline", "2022年6月份之前要完成的有哪些？", due_in_year(annotated, 2022, (6,)), "all", ["2022年6月"])
    add("deadline", "方案里每年都要做的事情有哪些？", annual_measures(annotated), "all", ["每年"])
    add("deadline", "有明确时间节点的措施都有哪些？给我列个时间表", dated_measures(annotated), "all", [])
    justice_2022 = [n for n in due_in_year(annotated, 2022) if n in unit_measures(annotated, "自治区司法厅")]
    add("deadline", "司法厅2022年底前要完成哪些事？", justice_2022, "all", ["2022年底"])
    office_dated = [n for n in dated_measures(annotated) if n in unit_measures(annotated, "自治区政府办公厅")]
    add("deadline", "政府办公厅有哪些带截止时间的任务？", office_dated, "all", [])
    add("deadline", "行政复议委员会什么时候建立？", [69], "any", ["2022年6月"])
    add("deadline", "证明事项告知承诺清单的截止时间是什么时候？", [9], "any", ["2022年6月底前"])
    add("deadline", "隐性壁垒台账的期限是哪年？", [14], "any", ["2023年底前"])
    add("deadline", "负责人出庭率100%要在什么时候之前实现？", [71], "any", ["2023年底前"])
    add("deadline", "县级以上行政执法APP掌上执法的时间节点？", [89], "any", ["2024年底前"])
    add("deadline", "区、市、县三级行政执法监督员制度什么时候建立并实施？", [81], "any", ["2022年底"])
    add("deadline", "行政执法协调监督工作体系要在什么时候基本建成？", [80], "any", ["2022年底"])
    add("deadline", "各方面监管平台数据联通汇聚的时限是什么？", [88], "any", ["2022年底前"])
    add("deadline", "法规规章规范性文件统一公开查询什么时候要实现？", [86], "any", ["2023年底前"])
    add("deadline", "行政裁决事项清单的公布期限？", [67], "any", ["2022年底前"])
    add("deadline", "具体措施里最早的一个时间节点是哪个？", [12], "any", ["2021年底前"])
    add("deadline", "具体措施里最晚的截止期限是哪年？", [89], "any", ["2024年底前"])
    add("deadline", "行政复议决定书执行监督机制要在什么时候前建立？", [70], "any", ["2022年底前"])

    # target
    add("target", "依申请公开政府信息的答复率要求是多少？", [83], "any", ["100%"])
    add("target", "被诉行政机关负责人出庭率要达到多少？", [71], "any", ["100%"])
    add("target", "执法人员每人每年业务和法律培训不少于多少学时？", [104], "any", ["60学时"])
    add("target", "法规规章草案公开征求意见的期限一般不少于几天？", [22], "any", ["30日"])
    add("target", "重大行政决策向社会征求意见期限至少多久？", [32], "any", ["30日"])
    add("target", "重大行政决策合法性审查时间一般不少于多少？", [31], "any", ["7个工作日"])
    add("target", "重大突发事件舆情的发布时限，1小时、5小时、24小时分别指什么？", [58], "any",
        ["1小时", "5小时", "24小时"])
    add("target", "政府领导班子一年至少办几期法治专题讲座？", [99], "any", ["两期"])
    add("target", "市县执法部门负责人任期内至少接受几次法治专题脱产培训？", [99], "any", ["1次"])
    add("target", "法治政府建设督察每年最少搞几次？", [95], "any", ["1次"])
    add("target", "每年要部署几项行政执法监督专项行动？", [81], "any", ["1—2项"])
    add("target", "方案里要求达到100%的指标有哪些？", [71, 83], "all", ["100%"])
    add("target", "哪些地方规定了“不少于30日”的征求意见期限？", [22, 32], "all", ["30日"])
    add("target", "党委每年至少听取几次法治建设工作汇报？", [92], "any", ["至少听取一次"])
    add("target", "新闻发布会要在多少小时内举行？", [58], "any", ["24小时"])

    # structure (facts checked against part/section titles and parser-derived counts)
    add("structure", "这个方案一共有多少项具体措施？", [], "any", ["110"])
    add("structure", "方案分成几大部分？", [], "any", ["10"])
    add("structure", "方案一共有多少个小节（一）到（几）？", [], "any", ["34"])
    # a question about a part may rightly cite the part's measures
    add("structure", "第七部分讲什么？", _part(plan, 7), "any", ["健全社会矛盾纠纷行政预防调处化解体系"])
    add("structure", "第九部分的标题是什么？", _part(plan, 9), "any", ["全面建设数字法治政府"])
    add("structure", "第三十四节是什么内容？", [108, 109, 110], "any", ["加强理论研究和舆论宣传"])
    add("structure", "“放管服”改革那一节包括哪些措施？", list(plan.section(4).measure_numbers), "all",
        ["深入推进“放管服”改革"])
    add("structure", "第十部分一共有多少项措施？", _part(plan, 10), "any", ["19"])
    add("structure", "行政复议的内容在方案哪一节？", [68, 69, 70], "any", ["发挥行政复议化解行政争议主渠道作用"])
    add("structure", "第一部分有没有具体措施？讲的是什么", [], "any", ["指导思想", "总体目标"])
    add("structure", "第五部分下面分了哪几节？", [], "any", ["深化行政执法体制改革", "创新行政执法方式"])
    add("structure", "政务诚信建设那一节有几条措施？", [84], "all", ["加快推进政务诚信建设"])
    add("structure", "最后一部分讲的是什么？", [], "any", ["加强党的领导"])

    # document
    add("document", "这个方案的文号是多少？", [], "any", ["宁党厅字〔2021〕39号"])
    add("document", "方案是什么时候印发的？", [], "any", ["2021年11月16日"])
    add("document", "这个文件是哪个单位发的？", [], "any",
        ["中共宁夏回族自治区委员会办公厅", "宁夏回族自治区人民政府办公厅"])
    add("document", "方案的指导思想是什么？", [], "any", ["习近平法治思想"])
    add("document", "总体目标是什么？到2025年要达到什么程度", [], "any", ["到2025年", "政府行为全面纳入法治轨道"])
    add("document", "2035年要实现什么目标？", [], "any", ["2035年", "法治宁夏"])
    add("document", "这个方案是依据中央哪个文件制定的？", [], "any", ["法治政府建设实施纲要", "中发〔2021〕33号"])
    add("document", "方案的全称叫什么？", [], "any", ["宁夏回族自治区法治政府建设实施方案（2021—2025年）"])
    add("document", "方案落实情况由谁来督促检查？", [], "any", ["自治区党委依法治区办要加强督促检查"])
    add("document", "这个文件能公开吗？", [], "any", ["此件公开发布"])
    add("document", "方案要建成一个什么样的法治政府，有哪几个关键词？", [], "any", ["职能科学", "人民满意"])
    add("document", "这个通知是印发给哪些单位的？", [], "any", ["中央驻宁各单位"])

    # refusal
    for question in [
        "陕西省法治政府建设实施方案有哪些要求？",
        "北京市法治政府建设有哪些措施？",
        "宁夏2022年的GDP是多少？",
        "第120项措施是什么？",
        "第111项讲了什么？",
        "护照怎么办理？要带什么材料",
        "明天银川天气怎么样？",
        "推荐几只最近能涨的股票",
        "怎么申请美国签证？",
        "个人所得税起征点是多少？",
        "今年宁夏公务员考试什么时候报名？",
        "宁夏最低工资标准是多少？",
        "驾照到期了怎么换证？",
        "离婚的时候房产怎么分？",
        "社保断缴了怎么补缴？",
        "2026年以后宁夏法治政府建设有什么新规划？",
        "宁夏现在有多少常住人口？",
        "自治区司法厅厅长是谁？",
        "银川房价明年会不会涨？",
        "帮我写一首关于黄河的诗",
        "今年高考宁夏一本分数线是多少？",
        "企业所得税税率是多少？",
        "《行政处罚法》第三十条的原文是什么？",
        "新冠疫苗在哪里接种？",
        "广东省的优化营商环境条例有哪些条款？",
        "第0项措施是什么？",
        "法治政府建设资金今年拨了多少钱？",
        "怎么注册一家公司？需要多少注册资本",
    ]:
        add("refusal", question, [], "any", [], refused=True)

    # multiturn
    add("multiturn", "那牵头单位是谁？", [69], "any", ["自治区司法厅"], history=["行政复议委员会什么时候建立？"])
    add("multiturn", "其中哪一条和巡视巡察有关？", [30], "any", ["巡视巡察"], history=["审计厅要做什么？"])
    add("multiturn", "第二条呢，具体讲的是什么？", [71], "any", ["出庭率"],
        history=["2023年底前要完成哪些任务？"])
    add("multiturn", "它的截止时间是什么时候？", [71], "any", ["2023年底前"], history=["出庭应诉率要达到多少？"])
    add("multiturn", "参加单位有哪些？", [9], "any", ["其他有关部门"], history=["证明事项告知承诺清单什么时候建好？"])
    add("multiturn", "这条是哪些单位负责的？", [58], "any", ["党委宣传部"],
        history=["重大突发事件舆情发布有什么时限？"])
    add("multiturn", "其中哪些是它牵头的？", unit_measures(annotated, "自治区卫生健康委", Role.LEAD), "all",
        ["卫生健康委"], history=["卫健委要做什么？"])
    add("multiturn", "下一项呢？", [31], "any", [], history=["第三十项讲的是什么？"])
    add("multiturn", "上一项呢", [67], "any", [], history=["第68项是什么内容？"])
    add("multiturn", "谁牵头？", [17], "any", ["自治区市场监管厅"], history=["公平竞争审查制度怎么要求的？"])
    add("multiturn", "那征求公众意见呢，要多长时间？", [32], "any", ["30日"],
        history=["重大行政决策合法性审查要多长时间？"])
    add("multiturn", "这部分第一项措施是什么？", [63], "any", ["行政调解"], history=["第七部分讲什么？"])
    add("multiturn", "有截止时间的是哪几条？",
        [n for n in unit_measures(annotated, "自治区发展改革委") if n in dated_measures(annotated)], "all",
        ["2023年底前"], history=["发改委负责哪些任务？"])
    add("multiturn", "表彰奖励那条还有谁一起牵头？", [102], "any", ["党委组织部"], history=["人社厅要干什么？"])
    add("multiturn", "那全区行政执法数据库呢？", [91], "any", ["2023年底前"], history=["执法APP掌上执法哪年实现？"])
    add("multiturn", "这条的其他责任单位有哪些？", [75], "any", ["审计厅"], history=["我是统计局的，我们要干什么？"])
    add("multiturn", "编办在里面是什么角色？", [68], "any", ["自治区党委编办"],
        history=["行政复议体制改革什么时候基本形成？"])
    add("multiturn", "它是谁牵头的？", [50], "any", ["守法普法协调小组"], history=["“谁执法谁普法”是哪条措施？"])
    add("multiturn", "其中和个人信息保护有关的是哪条？", [53], "any", ["个人信息"], history=["应急厅要做什么？"])
    add("multiturn", "这个谁牵头，参加单位有哪些？", [83], "any", ["自治区政府办公厅"],
        history=["依申请公开的答复率要求多少？"])
    add("multiturn", "那部门负责人的脱产培训呢？", [99], "any", ["1次"], history=["领导班子每年要办几期法治讲座？"])
    add("multiturn", "复议委员会那条的截止时间是？", [69], "any", ["2022年6月前"],
        history=["司法厅牵头哪些任务？", "其中哪些和行政复议有关？"])
    add("multiturn", "其中关于负责人出庭应诉的是哪条？", [71], "any", ["出庭应诉"], history=["高院参与了哪些任务？"])
    add("multiturn", "那条里面说的“三互”是哪三个？", [38], "any", ["执法标准互通"],
        history=["跨部门联合执法是谁牵头的？"])
    add("multiturn", "具体要求多少学时？", [104], "any", ["60学时"], history=["执法人员培训有什么要求？"])
    add("multiturn", "What about its deadline?", [14], "any", ["2023年底前"],
        history=["市场准入隐性壁垒台账是哪条措施？"])

    # english
    add("english", "When must the administrative reconsideration committees be set up?", [69], "any", ["2022年6月"])
    add("english", "What must the Audit Department do?", unit_measures(annotated, "自治区审计厅"), "all", ["审计厅"])
    add("english", "What is the document number?", [], "any", ["宁党厅字〔2021〕39号"])
    add("english", "When was the plan issued?", [], "any", ["2021年11月16日"])
    add("english", "How many measures does the plan contain?", [], "any", ["110"])
    add("english", "What court appearance rate is required for heads of sued administrative organs?", [71], "any",
        ["100%"])
    add("english", "How many hours of legal training must each law enforcement officer receive per year?", [104],
        "any", ["60学时"])
    add("english", "Which tasks are due by the end of 2023?", due_in_year(annotated, 2023), "all", ["2023年底前"])
    add("english", "How long must draft local regulations and government rules be open for public comment?", [22],
        "any", ["30日"])
    add("english", "Within how many hours must authoritative information be released after a major emergency?",
        [58], "any", ["5小时"])
    add("english", "Who leads the fair competition review work?", [17], "any", ["自治区市场监管厅"])
    add("english", "What does the plan say about the \"Wo de Ningxia\" government app?", [12, 85], "any", ["我的宁夏"])
    add("english", "What is the overall goal of the plan for 2025?", [], "any", ["到2025年"])
    add("english", "What must the Statistics Bureau do?", unit_measures(annotated, "自治区统计局"), "all", ["统计局"])
    add("english", "How many working days does the legality review of a major administrative decision take at least?",
        [31], "any", ["7个工作日"])
    add("english", "Who issued this document?", [], "any", ["中共宁夏回族自治区委员会办公厅"])
    add("english", "By when will county-level law enforcement use mobile apps?", [89], "any", ["2024年底前"])
    add("english", "Does the plan require the rule-of-law government annual report to be made public?", [96], "any",
        ["年度报告"])
    add("english", "What does Beijing's rule-of-law government plan require?", [], "any", [], refused=True)
    add("english", "What will the weather be like in Yinchuan tomorrow?", [], "any", [], refused=True)
    add("english", "What is measure 125 about?", [], "any", [], refused=True)

    return items


def render(items: list[dict]) -> str:
    return "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if gold.jsonl is out of date")
    args = parser.parse_args(argv)
    text = render(build(load_plan(str(CORPUS))))
    if args.check:
        current = GOLD.read_text(encoding="utf-8") if GOLD.exists() else ""
        if current != text:
            print("evals/gold.jsonl is out of date: run python -m evals.build_gold", file=sys.stderr)
            return 1
        return 0
    GOLD.write_text(text, encoding="utf-8")
    print(f"wrote {len(text.splitlines())} items to {GOLD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
