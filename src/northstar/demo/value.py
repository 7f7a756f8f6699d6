"""The demo company's customer value design (steps 1–3): strategy record, customers and
segments, value propositions, the journey with its touchpoints, the seed's two end-to-end
processes, and a responsibility map that contains the seed's value-chain mapping table.

Everything goes through the same services a user's edits go through, so the audit trail of the
demo reads like a real design workshop."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from northstar.customers import service as customers
from northstar.customers.models import CustomerCategory, Market
from northstar.journey import service as journey
from northstar.journey.models import ResponsibilityRole
from northstar.org.service import get_department_by_code
from northstar.pools import service as pools
from northstar.security.principal import SYSTEM_PRINCIPAL
from northstar.strategy import service as strategy

P = SYSTEM_PRINCIPAL
R, C = ResponsibilityRole.responsible, ResponsibilityRole.contributes

# code, zh, en, market, key, description, dimensions
SEGMENTS = [
    (
        "KA-AUTO",
        "汽车零部件大客户",
        "Automotive tier-1 key accounts",
        Market.b2b,
        True,
        "年采购额千万级的汽车零部件一级供应商,多基地、多产线,对停线零容忍。",
        [
            ("industry", "汽车零部件"),
            ("size", "大型(2000人以上)"),
            ("lifecycle", "mature"),
            ("采购模式", "年度框架协议"),
        ],
    ),
    (
        "SME-ELEC",
        "成长型电子制造企业",
        "Growing electronics manufacturers",
        Market.b2b,
        True,
        "产品迭代快、订单小批量多品种的 3C 电子制造企业,正在扩产。",
        [("industry", "3C 电子"), ("size", "中型(300–2000人)"), ("lifecycle", "expansion")],
    ),
    (
        "START-INT",
        "初创自动化集成商",
        "Start-up automation integrators",
        Market.b2b,
        False,
        "把我们的设备集成进整线方案的小型集成商,价格敏感,需要技术支持。",
        [("industry", "自动化集成"), ("size", "小型(50人以下)"), ("lifecycle", "startup")],
    ),
]

# segment, cares most, better than competitors, relationship value, [(rank, driver, note)]
PROPOSITIONS = [
    (
        "KA-AUTO",
        "产线不停:交期说到做到,质量稳定一致,出了问题有人马上到现场。",
        "本地化的现场服务网络 4 小时到场;关键部件自制,交期比进口品牌短 30%。",
        "成为客户新产线规划的首选设备伙伴,共同降低全生命周期成本。",
        [
            (1, "on_time_delivery", "承诺交期的可靠性高于交期长短"),
            (2, "quality", "批次一致性"),
            (3, "problem_resolution", "问题首次响应与现场闭环"),
            (4, "partnership", "年度联合改善项目"),
            (5, "total_cost", ""),
        ],
    ),
    (
        "SME-ELEC",
        "快:需求响应快、方案改得快、上量快;设备能按新产品快速调整。",
        "模块化平台支持两周内完成非标定制;方案工程师直接对接客户工艺。",
        "陪伴客户从单线扩张到多工厂,成为其自动化升级的长期顾问。",
        [
            (1, "responsiveness", "从提出需求到给出方案的速度"),
            (2, "customisation", "小批量非标改造"),
            (3, "price", ""),
            (4, "ease_of_use", "操作工流动大,培训要简单"),
        ],
    ),
]

# code, zh, en, category, segment, department, description
CUSTOMERS = [
    (
        "C-DY",
        "东岳汽车部件有限公司",
        "Dongyue Auto Parts",
        CustomerCategory.key_account,
        "KA-AUTO",
        None,
        "三个生产基地,年采购 40 台套",
    ),
    ("C-HT", "恒拓汽车系统", "Hengtuo Automotive Systems", CustomerCategory.key_account, "KA-AUTO", None, ""),
    (
        "C-RF",
        "瑞丰精密电子",
        "Ruifeng Precision Electronics",
        CustomerCategory.end_user,
        "SME-ELEC",
        None,
        "",
    ),
    ("C-XH", "星海智造", "Xinghai Smart Manufacturing", CustomerCategory.end_user, "SME-ELEC", None, ""),
    (
        "C-HN",
        "华南工业设备经销联盟",
        "South China Equipment Distributors",
        CustomerCategory.channel_partner,
        None,
        None,
        "二三线城市的渠道伙伴",
    ),
    (
        "C-OP",
        "客户产线操作员",
        "Operators on customers' lines",
        CustomerCategory.end_user,
        None,
        None,
        "每天使用设备的人",
    ),
    (
        "I-SALES",
        "销售部(一线业务)",
        "Sales (front line)",
        CustomerCategory.department,
        None,
        "SALES",
        "后台支持部门的内部客户",
    ),
    ("I-KA", "大客户部", "Key Accounts", CustomerCategory.department, None, "KA", ""),
    ("I-MFG", "制造部", "Manufacturing", CustomerCategory.department, None, "MFG", "供应链与 IT 的内部客户"),
    ("I-CSC", "客户服务中心", "Customer Service Center", CustomerCategory.department, None, "CSC", ""),
    ("I-RND", "研发中心", "R&D Center", CustomerCategory.department, None, "RND", ""),
    ("I-STAFF", "全体员工", "All employees", CustomerCategory.role, None, None, "HR 员工服务的对象"),
    ("I-MGR", "各级业务经理", "Line managers", CustomerCategory.role, None, None, "招聘与培训的需求方"),
]

# department, [(customer, note)], [(product zh, product en, customer)]
DECLARATIONS = [
    (
        "IT",
        [("I-SALES", "CRM 与报价系统"), ("I-MFG", "MES 与设备联网"), ("I-CSC", "工单系统")],
        [
            ("稳定可用的关键系统", "Stable key systems", "I-MFG"),
            ("按计划上线的新功能", "New features on plan", "I-SALES"),
            ("懂业务的 IT 支持", "IT support that understands the business", "I-CSC"),
        ],
    ),
    (
        "HR",
        [("I-MGR", "招聘与培训需求"), ("I-STAFF", "员工服务")],
        [
            ("及时到岗的人才", "People on board on time", "I-MGR"),
            ("懂业务的培训", "Training that understands the business", "I-MGR"),
            ("友好的员工服务", "Friendly employee service", "I-STAFF"),
        ],
    ),
    (
        "SCM",
        [("I-MFG", "物料齐套"), ("C-DY", "交付承诺"), ("C-HT", "交付承诺")],
        [
            ("准时无差错的交付", "On-time, error-free delivery", "C-DY"),
            ("合理的库存水平", "Sound inventory", "I-MFG"),
        ],
    ),
    (
        "FIN",
        [("I-SALES", "报价与信用政策"), ("I-KA", "回款与开票")],
        [("快速清晰的报价与信用审批", "Fast, clear pricing and credit decisions", "I-SALES")],
    ),
    (
        "CSC",
        [("C-DY", ""), ("C-RF", ""), ("C-OP", "设备使用问题")],
        [("一次解决的问题", "Problems solved at first contact", "C-OP")],
    ),
    (
        "RND",
        [("I-CSC", "技术问题升级"), ("C-RF", "非标定制")],
        [("稳定好用的产品", "Reliable, easy products", "C-RF")],
    ),
]

# The company journey: the method's seven stages, with 服务/续约 split into 问题解决 and 续约/增购
# as the seed's own mapping table does. (stage code, [(touchpoint zh, en, moment of truth,
# driver, [(department, role)])])
TOUCHPOINTS: list[tuple[str, list[tuple[str, str, bool, str, list[tuple[str, ResponsibilityRole]]]]]] = [
    (
        "awareness",
        [
            (
                "行业展会与标杆案例",
                "Trade fairs and reference cases",
                False,
                "brand_experience",
                [("MKT", R), ("SALES", C)],
            )
        ],
    ),
    (
        "purchase_decision",
        [
            (
                "方案演示与技术交流",
                "Solution demo and technical exchange",
                False,
                "customisation",
                [("KA", R), ("RND", C), ("PM", C)],
            ),
            ("样机试用", "Trial on a sample machine", False, "product_reliability", [("PM", R), ("FS", C)]),
        ],
    ),
    (
        "order",
        [
            ("报价清晰", "Clear quotation", False, "price", [("SALES", R), ("FIN", C)]),
            (
                "交期承诺可靠",
                "Reliable delivery promise",
                True,
                "on_time_delivery",
                [("SALES", R), ("SCM", R)],
            ),
        ],
    ),
    (
        "delivery",
        [
            ("准时交付", "On-time delivery", True, "on_time_delivery", [("MFG", R), ("QA", R), ("SCM", R)]),
            ("质量稳定", "Consistent quality", False, "quality", [("MFG", R), ("QA", R)]),
            ("安装调试一次成功", "Installation right first time", True, "quality", [("FS", R), ("MFG", C)]),
        ],
    ),
    (
        "use",
        [
            (
                "产品性能稳定",
                "Stable product performance",
                False,
                "product_reliability",
                [("RND", R), ("PM", R), ("FS", C)],
            ),
            ("易用性", "Ease of use", False, "ease_of_use", [("RND", R), ("PM", R), ("FS", C)]),
        ],
    ),
    (
        "problem_resolution",
        [
            ("响应速度", "Speed of response", True, "responsiveness", [("CSC", R), ("FS", R), ("RND", C)]),
            (
                "一次解决率",
                "First-contact resolution",
                False,
                "problem_resolution",
                [("CSC", R), ("FS", R), ("RND", C)],
            ),
        ],
    ),
    (
        "service_renewal",
        [
            (
                "服务体验",
                "Service experience",
                False,
                "partnership",
                [("SALES", R), ("CSC", R), ("FIN", C), ("KA", C)],
            ),
            (
                "性价比感知",
                "Perceived value for money",
                False,
                "total_cost",
                [("SALES", R), ("CSC", C), ("FIN", C), ("KA", C)],
            ),
        ],
    ),
    (
        "referral_churn",
        [
            (
                "愿意推荐",
                "Willing to recommend",
                False,
                "brand_experience",
                [("KA", R), ("MKT", C), ("CSC", C)],
            )
        ],
    ),
]

# code, zh, en, owner, [(step zh, step en, department, stage code, [touchpoint zh])]
PROCESSES = [
    (
        "OTD",
        "下单到收货",
        "Order to delivery",
        "SCM",
        [
            (
                "销售接单与交期承诺",
                "Sales takes the order and promises a date",
                "SALES",
                "order",
                ["交期承诺可靠", "报价清晰"],
            ),
            ("计划排产", "Planning", "SCM", "order", ["交期承诺可靠"]),
            ("采购备料", "Purchasing", "SCM", "delivery", []),
            ("生产制造", "Production", "MFG", "delivery", ["准时交付", "质量稳定"]),
            ("仓储出库", "Warehouse", "SCM", "delivery", ["准时交付"]),
            ("物流发运", "Logistics", "SCM", "delivery", ["准时交付"]),
            (
                "客服回访与安装预约",
                "Service follow-up and installation booking",
                "CSC",
                "delivery",
                ["安装调试一次成功"],
            ),
        ],
    ),
    (
        "F2C",
        "问题反馈到闭环",
        "Feedback to closure",
        "CSC",
        [
            ("客户反馈问题", "Customer reports a problem", "CSC", "problem_resolution", ["响应速度"]),
            (
                "客服受理与首次响应",
                "Service desk logs it and responds",
                "CSC",
                "problem_resolution",
                ["响应速度", "一次解决率"],
            ),
            ("技术支持诊断", "Technical support diagnoses", "FS", "problem_resolution", ["一次解决率"]),
            ("研发/生产根因处理", "R&D or production fixes the root cause", "RND", "problem_resolution", []),
            (
                "反馈客户与预防复发",
                "Feedback to the customer and prevention",
                "QA",
                "service_renewal",
                ["服务体验"],
            ),
        ],
    ),
]

STRATEGY_PERIOD = "2026"
STRATEGY_TITLE = "客户导向转型 2026–2028"
STRATEGY_FOCUS = (
    "我们首先为汽车零部件大客户创造“产线不停”的价值:交期说到做到、质量稳定、问题快速闭环;"
    "其次帮助成长型电子制造企业“快速上量”:响应快、可定制。内部客户同样是客户:"
    "业务部门是 HR、财务、IT 的客户,一线销售是后台的客户。"
)
STRATEGY_ASPIRATION = "三年后,重点客户提到华辰时会说:“交期最靠谱、出了问题最快到场、愿意推荐给同行的设备伙伴。”NPS 从 28 提升到 50。"
PRIORITIES = [
    (1, "KA-AUTO", "on_time_delivery", "交期承诺兑现率是第一位的客户价值"),
    (2, "KA-AUTO", "quality", "批次质量一致"),
    (3, "SME-ELEC", "responsiveness", "需求响应与方案速度"),
    (4, "SME-ELEC", "customisation", "两周内完成非标定制"),
    (5, "KA-AUTO", "problem_resolution", "问题首次响应与闭环"),
]
# department, segment, indicator code: candidates taken from the propositions' suggestions
POOL_PICKS = [
    ("SCM", "KA-AUTO", "on_time_delivery_rate"),
    ("SCM", "KA-AUTO", "plan_attainment_rate"),
    ("QA", "KA-AUTO", "first_pass_yield"),
    ("MFG", "KA-AUTO", "on_time_delivery_rate"),
    ("CSC", "SME-ELEC", "response_time"),
    ("CSC", "SME-ELEC", "resolution_rate"),
    ("RND", "SME-ELEC", "requirement_to_delivery_cycle"),
]


def load(db: Session) -> None:
    """Write the demo company's customer value design (the organisation must exist)."""
    segs = {}
    for code, zh, en, market, key, desc, dims in SEGMENTS:
        segs[code] = customers.create_segment(
            db,
            P,
            code=code,
            name=zh,
            name_en=en,
            market=market,
            is_key=key,
            description=desc,
            dimensions=dims,
        )
    for seg_code, cares, better, relation, drivers in PROPOSITIONS:
        customers.save_proposition(
            db,
            P,
            segs[seg_code],
            cares_most=cares,
            better_than_competitors=better,
            relationship_value=relation,
            drivers=drivers,
        )
    custs = {}
    for code, zh, en, category, seg, dept, desc in CUSTOMERS:
        custs[code] = customers.create_customer(
            db,
            P,
            code=code,
            name=zh,
            name_en=en,
            category=category,
            segment_code=seg,
            department_code=dept,
            description=desc,
        )
    for dept_code, served, products in DECLARATIONS:
        department = get_department_by_code(db, dept_code)
        for cust, note in served:
            customers.declare_customer(db, P, department, custs[cust], note=note)
        for zh, en, cust in products:
            customers.add_product(db, P, department, name=zh, name_en=en, customer=custs[cust])

    stages = {s.code: s for s in journey.create_default_journey(db, P)}
    journey.update_stage(db, P, stages["service_renewal"], name="续约/增购", name_en="Renewal/upsell")
    stages["problem_resolution"] = journey.add_stage(
        db, P, segment=None, name="问题解决", name_en="Problem resolution", after=stages["use"]
    )
    touchpoints = {}
    for stage_code, points in TOUCHPOINTS:
        for zh, en, mot, driver, cells in points:
            tp = journey.add_touchpoint(
                db, P, stages[stage_code], name=zh, name_en=en, moment_of_truth=mot, driver_code=driver
            )
            touchpoints[zh] = tp
            for dept_code, role in cells:
                journey.set_responsibility(db, P, tp, get_department_by_code(db, dept_code), role)
    for code, zh, en, owner, steps in PROCESSES:
        journey.save_process(
            db,
            P,
            code=code,
            name=zh,
            name_en=en,
            owner_department=owner,
            steps=[
                journey.StepIn(
                    name=s_zh,
                    name_en=s_en,
                    department=dept,
                    stage_id=stages[stage].id,
                    touchpoint_ids=tuple(touchpoints[t].id for t in tps),
                )
                for s_zh, s_en, dept, stage, tps in steps
            ],
        )
    # one proposal adopted as it stands: on-time delivery, shared by manufacturing, quality, supply chain
    proposal = next(p for p in journey.shared_proposals(db) if p.touchpoint.name == "准时交付")
    journey.save_shared_indicator(
        db,
        P,
        proposal.touchpoint,
        name=proposal.indicator.name.zh if proposal.indicator else "准时交付率",
        name_en=proposal.indicator.name.en if proposal.indicator else "On-time delivery rate",
        indicator_code=proposal.indicator.code if proposal.indicator else None,
        shares=[(s.department.code, Decimal(s.share)) for s in proposal.shares],
    )

    record = strategy.create_record(
        db,
        P,
        period=STRATEGY_PERIOD,
        title=STRATEGY_TITLE,
        customer_focus=STRATEGY_FOCUS,
        aspiration=STRATEGY_ASPIRATION,
        horizon_years=3,
    )
    strategy.save_priorities(
        db,
        P,
        record,
        [
            strategy.PriorityIn(rank=r, segment_code=s, driver_code=d, statement=st)
            for r, s, d, st in PRIORITIES
        ],
    )
    for dept_code, seg_code, indicator in POOL_PICKS:
        prop = customers.get_proposition(db, segs[seg_code])
        assert prop is not None
        pools.add_suggestion(db, P, get_department_by_code(db, dept_code), prop, indicator)
    db.flush()
