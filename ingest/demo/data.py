"""Demo dataset for Huiku: three member libraries of a Jilin library alliance and their three
jointly built special collections (one per profile: natural_history, ich, generic).

Pure data, no project imports. Field keys follow the collection profiles (shared docs,
profiles.md). Conventions:

* ``metadata`` values are strings as a cataloguer would enter them; repeatable fields are lists
  of strings. Dates keep the cataloguer's form (``2011-06-18``, ``2019-07``, ``2015``, ``1950s``,
  ``20世纪50年代``, ``清代``, ``民国``, ``约1930``).
* ``local_id`` is unique within its library. ``rights`` is optional; when absent the collection's
  ``default_rights`` applies.
* ``images`` are specs for ``ingest.demo.artwork.render_demo_image``, not files: ``label``
  (Chinese caption), ``motif``, ``palette`` and optionally ``size`` (width, height; default
  1600x1200).
* Facts are meant to be real. Where a detail could not be confirmed (a list year, a declaring
  region, an inheritor) the field is left out rather than guessed. People named as photographers
  and library staff are fictitious demo accounts.
"""

DEMO_PASSWORD = "huiku-demo"

PORTRAIT = (1200, 1600)
SQUARE = (1400, 1400)
WIDE = (1800, 1200)

LIBRARIES = [
    {
        "code": "JL-SL",
        "name_zh": "吉林省图书馆",
        "name_en": "Jilin Provincial Library",
        "region": "吉林省长春市",
    },
    {
        "code": "YB-LIB",
        "name_zh": "延边州图书馆",
        "name_en": "Yanbian Prefecture Library",
        "region": "吉林省延边朝鲜族自治州延吉市",
    },
    {
        "code": "NENU-LIB",
        "name_zh": "东北师范大学图书馆",
        "name_en": "Northeast Normal University Library",
        "region": "吉林省长春市",
    },
]

USERS = [
    {
        "email": "admin@huiku.example.org",
        "name": "周立群",
        "library": "JL-SL",
        "role": "admin",
        "password": DEMO_PASSWORD,
    },
    {
        "email": "contributor@jl-sl.example.org",
        "name": "王晓梅",
        "library": "JL-SL",
        "role": "contributor",
        "password": DEMO_PASSWORD,
    },
    {
        "email": "reviewer@jl-sl.example.org",
        "name": "李建国",
        "library": "JL-SL",
        "role": "reviewer",
        "password": DEMO_PASSWORD,
        "reviews": ["jilin-local-documents", "jilin-ich"],
    },
    {
        "email": "contributor@yb-lib.example.org",
        "name": "金美善",
        "library": "YB-LIB",
        "role": "contributor",
        "password": DEMO_PASSWORD,
    },
    {
        "email": "reviewer@yb-lib.example.org",
        "name": "朴成哲",
        "library": "YB-LIB",
        "role": "reviewer",
        "password": DEMO_PASSWORD,
        "reviews": ["jilin-ich", "changbaishan"],
    },
    {
        "email": "contributor@nenu-lib.example.org",
        "name": "赵雪",
        "library": "NENU-LIB",
        "role": "contributor",
        "password": DEMO_PASSWORD,
    },
    {
        "email": "reviewer@nenu-lib.example.org",
        "name": "刘洪涛",
        "library": "NENU-LIB",
        "role": "reviewer",
        "password": DEMO_PASSWORD,
        "reviews": ["changbaishan", "jilin-local-documents"],
    },
]

CC_BY_NC = "https://creativecommons.org/licenses/by-nc/4.0/"
INC_EDU = "http://rightsstatements.org/vocab/InC-EDU/1.0/"
PD_MARK = "https://creativecommons.org/publicdomain/mark/1.0/"

COLLECTIONS = [
    {
        "slug": "changbaishan",
        "profile": "natural_history",
        "title_zh": "长白山动植菌物图库",
        "title_en": "Changbai Mountain Plants, Animals and Fungi",
        "description_zh": (
            "长白山是位于中朝边境的休眠火山，中国一侧最高峰白云峰海拔2691米，是东北亚生物多样性"
            "最丰富的地区之一。随海拔升高，依次出现针阔混交林、暗针叶林、岳桦林和高山苔原，"
            "植被垂直带谱十分典型。本图库汇集成员馆拍摄整理的长白山野生植物、动物和真菌影像及"
            "鉴定信息。"
        ),
        "description_en": (
            "Changbai Mountain is a dormant volcano on the China–North Korea border; its highest "
            "peak on the Chinese side, Baiyun Peak, rises to 2,691 m, and the range is one of the "
            "richest areas for biodiversity in Northeast Asia. With altitude the vegetation passes "
            "from mixed broadleaf–Korean pine forest through dark coniferous forest and Erman's "
            "birch woodland to alpine tundra. This collection brings together photographs and "
            "identifications of the mountain's wild plants, animals and fungi contributed by "
            "member libraries."
        ),
        "coordinating_library": "NENU-LIB",
        "default_rights": CC_BY_NC,
    },
    {
        "slug": "jilin-ich",
        "profile": "ich",
        "title_zh": "吉林省非物质文化遗产",
        "title_en": "Intangible Cultural Heritage of Jilin",
        "description_zh": (
            "吉林省是朝鲜族、满族、蒙古族、汉族等多民族共同生活的地区，留存了丰富的非物质文化"
            "遗产，其中中国朝鲜族农乐舞于2009年列入联合国教科文组织人类非物质文化遗产代表作名录。"
            "本库收录吉林省各级非物质文化遗产代表性项目的简介与影像记录。"
        ),
        "description_en": (
            "Jilin is home to Korean, Manchu, Mongolian, Han and other communities and keeps a "
            "rich intangible cultural heritage; the Farmers' Dance of China's Korean ethnic group "
            "was inscribed on UNESCO's Representative List of the Intangible Cultural Heritage of "
            "Humanity in 2009. This collection documents representative items on Jilin's "
            "national and provincial lists with summaries, photographs and recordings."
        ),
        "coordinating_library": "YB-LIB",
        "default_rights": INC_EDU,
    },
    {
        "slug": "jilin-local-documents",
        "profile": "generic",
        "title_zh": "吉林地方文献",
        "title_en": "Jilin Local Historical Documents",
        "description_zh": (
            "本库汇集成员馆收藏的吉林地方志书、舆图、拓片和历史照片，时间跨度自清代至20世纪"
            "后半叶，内容涉及吉林市、长春、延边等地的城市建筑、近代工业与社会生活，为地方史研究"
            "提供原始资料。"
        ),
        "description_en": (
            "Local gazetteers, maps, rubbings and historical photographs of Jilin held by member "
            "libraries, from the Qing dynasty to the later twentieth century. They record the "
            "buildings, early industry and social life of Jilin City, Changchun, Yanbian and "
            "other places and serve as primary sources for local history."
        ),
        "coordinating_library": "JL-SL",
        "default_rights": PD_MARK,
    },
]


def _img(label, motif, palette, size=None):
    spec = {"label": label, "motif": motif, "palette": palette}
    if size is not None:
        spec["size"] = size
    return spec


# --- 长白山动植菌物 (natural_history) --------------------------------------------------------

_NATURAL_HISTORY = [
    (
        "NENU-LIB",
        {
            "local_id": "NENU-NH-0001",
            "title": "人参",
            "scientific_name": "Panax ginseng C. A. Mey.",
            "kingdom": "植物",
            "family": "五加科 Araliaceae",
            "genus": "人参属 Panax",
            "aliases": ["棒槌", "山参", "神草"],
            "habitat": "针阔混交林或杂木林下，喜阴凉湿润、排水良好的腐殖质土壤",
            "distribution": "中国吉林、辽宁、黑龙江东部山区；朝鲜半岛、俄罗斯远东",
            "elevation_m": "500-1100",
            "locality": "吉林省抚松县露水河镇",
            "latitude": "42.4870",
            "longitude": "127.7930",
            "photographer": ["王立新"],
            "date": "2016-08-21",
            "protection_level": "国家一级",
            "description": (
                "多年生草本，掌状复叶轮生于茎顶，伞形花序单个顶生，果实扁球形，成熟时鲜红色。"
                "野生人参资源极为稀少，其野外种群为国家一级重点保护野生植物；根为名贵中药材。"
            ),
        },
        [
            _img("全株", "leaf", "forest", PORTRAIT),
            _img("果实", "berry", "forest"),
        ],
    ),
    (
        "NENU-LIB",
        {
            "local_id": "NENU-NH-0002",
            "title": "东北红豆杉",
            "scientific_name": "Taxus cuspidata Sieb. et Zucc.",
            "kingdom": "植物",
            "family": "红豆杉科 Taxaceae",
            "genus": "红豆杉属 Taxus",
            "aliases": ["紫杉", "赤柏松"],
            "habitat": "针阔混交林中，多散生于林下或林缘",
            "distribution": "中国吉林、黑龙江东南部、辽宁东部；朝鲜半岛、日本、俄罗斯远东",
            "elevation_m": "500-1200",
            "locality": "吉林省安图县长白山国家级自然保护区北坡",
            "latitude": "42.2610",
            "longitude": "128.1540",
            "photographer": ["王立新", "赵雪"],
            "date": "2014-09",
            "protection_level": "国家一级",
            "description": (
                "常绿乔木，叶条形，在小枝上排成不规则二列；种子卵圆形，生于红色肉质杯状假种皮中。"
                "是东北地区唯一天然分布的红豆杉属植物，红豆杉属全部种类均为国家一级重点保护野生植物。"
            ),
        },
        [
            _img("植株", "tree", "forest", PORTRAIT),
            _img("假种皮", "berry", "autumn"),
        ],
    ),
    (
        "NENU-LIB",
        {
            "local_id": "NENU-NH-0003",
            "title": "红松",
            "scientific_name": "Pinus koraiensis Sieb. et Zucc.",
            "kingdom": "植物",
            "family": "松科 Pinaceae",
            "genus": "松属 Pinus",
            "aliases": ["果松", "海松", "韩松"],
            "habitat": "湿润的山坡和谷地，为针阔混交林的建群种",
            "distribution": "中国东北东部山区；朝鲜半岛、日本、俄罗斯远东",
            "elevation_m": "500-1200",
            "locality": "吉林省安图县二道白河镇",
            "latitude": "42.3650",
            "longitude": "128.1180",
            "photographer": ["刘洪涛"],
            "date": "2011-06-18",
            "protection_level": "国家二级",
            "description": (
                "常绿乔木，针叶五针一束；球果大，种子即松子，可食用。红松是长白山阔叶红松林的"
                "建群种，常与紫椴、水曲柳、红豆杉等树种混生。"
            ),
        },
        [
            _img("林相", "tree", "forest"),
            _img("球果", "berry", "earth", SQUARE),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-NH-0001",
            "title": "长白松",
            "scientific_name": (
                "Pinus sylvestris var. sylvestriformis (Takenouchi) W. C. Cheng & C. D. Chu"
            ),
            "kingdom": "植物",
            "family": "松科 Pinaceae",
            "genus": "松属 Pinus",
            "aliases": ["美人松"],
            "habitat": "河流两岸台地及火山灰沙质土壤，常成小片纯林",
            "distribution": "天然林集中分布于吉林长白山北坡二道白河一带",
            "elevation_m": "800-1600",
            "locality": "吉林省安图县二道白河镇美人松林",
            "latitude": "42.4080",
            "longitude": "128.1020",
            "photographer": ["朴成哲"],
            "date": "2019-10-03",
            "description": (
                "常绿乔木，树干通直，中上部树皮呈黄褐色至金黄色，姿态挺拔，俗称美人松。"
                "为欧洲赤松的地理变种，分布范围极为狭窄。"
            ),
        },
        [
            _img("树干", "tree", "autumn", PORTRAIT),
        ],
    ),
    (
        "NENU-LIB",
        {
            "local_id": "NENU-NH-0004",
            "title": "岳桦",
            "scientific_name": "Betula ermanii Cham.",
            "kingdom": "植物",
            "family": "桦木科 Betulaceae",
            "genus": "桦木属 Betula",
            "habitat": "亚高山带，在森林上限形成岳桦林",
            "distribution": "中国长白山地区；朝鲜半岛、日本、俄罗斯远东",
            "elevation_m": "1700-2000",
            "locality": "吉林省长白山北坡岳桦林带",
            "latitude": "42.0730",
            "longitude": "128.0690",
            "photographer": ["赵雪"],
            "date": "2018-09-20",
            "protection_level": "无",
            "description": (
                "落叶乔木，树皮灰白色，呈片状剥落。在长白山海拔约1700-2000米形成岳桦林带，"
                "是森林上限的标志树种；受强风和积雪影响，树干多弯曲倾斜。"
            ),
        },
        [
            _img("岳桦林", "tree", "alpine"),
            _img("秋色", "tree", "autumn"),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-NH-0002",
            "title": "牛皮杜鹃",
            "scientific_name": "Rhododendron aureum Georgi",
            "kingdom": "植物",
            "family": "杜鹃花科 Ericaceae",
            "genus": "杜鹃花属 Rhododendron",
            "aliases": ["牛皮茶"],
            "habitat": "高山苔原及岳桦林下",
            "distribution": "中国吉林长白山；朝鲜半岛、日本、蒙古、俄罗斯西伯利亚及远东",
            "elevation_m": "1700-2500",
            "locality": "吉林省长白山西坡高山苔原",
            "latitude": "42.0150",
            "longitude": "128.0020",
            "photographer": ["金美善"],
            "date": "2019-06-24",
            "protection_level": "无",
            "description": (
                "常绿矮小灌木，枝条常匍匐，叶革质；花冠钟形，淡黄色，6-7月开花。"
                "是长白山高山苔原带的优势种之一。"
            ),
        },
        [
            _img("花", "flower", "alpine"),
            _img("群落", "mountain", "alpine"),
        ],
    ),
    (
        "NENU-LIB",
        {
            "local_id": "NENU-NH-0005",
            "title": "长白山罂粟",
            "scientific_name": "Papaver radicatum var. pseudoradicatum (Kitag.) Kitag.",
            "kingdom": "植物",
            "family": "罂粟科 Papaveraceae",
            "genus": "罂粟属 Papaver",
            "habitat": "高山苔原、火山砾石坡",
            "distribution": "中国吉林长白山高山带；朝鲜半岛北部",
            "elevation_m": "2000-2600",
            "locality": "吉林省长白山北坡天文峰附近",
            "latitude": "42.0310",
            "longitude": "128.0600",
            "photographer": ["刘洪涛"],
            "date": "2017-07-12",
            "description": (
                "多年生草本，叶基生，羽状分裂；花单生于花葶顶端，花瓣黄色，7-8月开花。"
                "生于长白山火山锥上部的砾石坡。"
            ),
        },
        [
            _img("花", "flower", "alpine", PORTRAIT),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-NH-0001",
            "title": "刺五加",
            "scientific_name": "Eleutherococcus senticosus (Rupr. & Maxim.) Maxim.",
            "kingdom": "植物",
            "family": "五加科 Araliaceae",
            "genus": "五加属 Eleutherococcus",
            "aliases": ["刺拐棒", "老虎潦"],
            "habitat": "针阔混交林下、林缘及灌丛",
            "distribution": "中国东北、华北等地；朝鲜半岛、日本、俄罗斯远东",
            "elevation_m": "500-1200",
            "locality": "吉林省抚松县松江河镇东部林区",
            "latitude": "42.1620",
            "longitude": "127.5580",
            "photographer": ["王晓梅"],
            "date": "2015",
            "protection_level": "无",
            "description": (
                "落叶灌木，茎密生细刺；掌状复叶通常具5小叶；伞形花序顶生，果实球形，熟时黑色。"
                "根和根茎可入药。"
            ),
        },
        [
            _img("枝叶", "leaf", "forest"),
            _img("果序", "berry", "dusk"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-NH-0002",
            "title": "五味子",
            "scientific_name": "Schisandra chinensis (Turcz.) Baill.",
            "kingdom": "植物",
            "family": "五味子科 Schisandraceae",
            "genus": "五味子属 Schisandra",
            "aliases": ["北五味子"],
            "habitat": "林缘、山沟灌丛，缠绕于其他树木上",
            "distribution": "中国东北、华北；朝鲜半岛、日本、俄罗斯远东",
            "elevation_m": "500-1200",
            "locality": "吉林省抚松县漫江镇",
            "latitude": "41.9180",
            "longitude": "127.5760",
            "photographer": ["王晓梅"],
            "date": "2015-09",
            "protection_level": "无",
            "description": (
                "落叶木质藤本，雌雄异株；聚合果穗状下垂，小浆果熟时红色。果实为常用中药“北五味子”。"
            ),
        },
        [
            _img("果穗", "berry", "autumn", PORTRAIT),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-NH-0003",
            "title": "蓝靛果",
            "scientific_name": "Lonicera caerulea var. edulis Turcz. ex Herder",
            "kingdom": "植物",
            "family": "忍冬科 Caprifoliaceae",
            "genus": "忍冬属 Lonicera",
            "aliases": ["蓝靛果忍冬", "黑瞎子果"],
            "habitat": "林缘、湿润灌丛及沼泽地边缘",
            "distribution": "中国东北、华北、西北；朝鲜半岛、日本、俄罗斯",
            "elevation_m": "600-1800",
            "locality": "吉林省安图县二道白河镇",
            "latitude": "42.3880",
            "longitude": "128.1460",
            "photographer": ["金美善"],
            "date": "2020-07",
            "protection_level": "无",
            "description": (
                "落叶灌木；花冠黄白色，成对着生；浆果椭圆形，熟时蓝黑色、被白粉，6-7月成熟，"
                "味酸甜，可鲜食或加工。"
            ),
        },
        [
            _img("果实", "berry", "river"),
            _img("花", "flower", "meadow"),
        ],
    ),
    (
        "NENU-LIB",
        {
            "local_id": "NENU-NH-0006",
            "title": "长白落叶松",
            "scientific_name": "Larix olgensis A. Henry",
            "kingdom": "植物",
            "family": "松科 Pinaceae",
            "genus": "落叶松属 Larix",
            "aliases": ["黄花松"],
            "habitat": "山地，常成纯林或与云杉、冷杉混生，也见于沼泽地",
            "distribution": "中国吉林、黑龙江东部、辽宁东部；朝鲜半岛、俄罗斯远东",
            "elevation_m": "500-1800",
            "locality": "吉林省长白山北坡",
            "latitude": "42.1520",
            "longitude": "128.1330",
            "photographer": ["赵雪"],
            "date": "2012-10",
            "protection_level": "无",
            "description": (
                "落叶乔木，叶在短枝上簇生，秋季变为金黄色后脱落；球果卵圆形。"
                "是长白山地区重要的用材和造林树种。"
            ),
        },
        [
            _img("秋季林相", "tree", "autumn"),
        ],
    ),
    (
        "NENU-LIB",
        {
            "local_id": "NENU-NH-0007",
            "title": "水曲柳",
            "scientific_name": "Fraxinus mandshurica Rupr.",
            "kingdom": "植物",
            "family": "木樨科 Oleaceae",
            "genus": "梣属 Fraxinus",
            "habitat": "山坡疏林及河谷湿润肥沃处",
            "distribution": "中国东北、华北；朝鲜半岛、日本、俄罗斯远东",
            "elevation_m": "500-1100",
            "locality": "吉林省安图县二道白河镇",
            "latitude": "42.4220",
            "longitude": "128.0780",
            "photographer": ["刘洪涛"],
            "date": "2013-06",
            "protection_level": "国家二级",
            "description": (
                "落叶大乔木，奇数羽状复叶，翅果扁平。木材坚韧、纹理美观，与黄檗、胡桃楸并称"
                "东北“三大硬阔”。"
            ),
        },
        [
            _img("树冠", "tree", "forest"),
            _img("复叶", "leaf", "meadow"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-NH-0003",
            "title": "黄檗",
            "scientific_name": "Phellodendron amurense Rupr.",
            "kingdom": "植物",
            "family": "芸香科 Rutaceae",
            "genus": "黄檗属 Phellodendron",
            "aliases": ["黄菠萝", "关黄柏"],
            "habitat": "山地杂木林中及河谷两侧",
            "distribution": "中国东北、华北；朝鲜半岛、日本、俄罗斯远东",
            "elevation_m": "500-1000",
            "locality": "吉林省抚松县露水河镇",
            "latitude": "42.5120",
            "longitude": "127.8050",
            "photographer": ["孙伟"],
            "date": "2017-08",
            "protection_level": "国家二级",
            "description": (
                "落叶乔木，树皮木栓层发达，内皮鲜黄色；奇数羽状复叶；果实圆球形，熟时蓝黑色。"
                "树皮入药，称“关黄柏”。"
            ),
        },
        [
            _img("树皮", "tree", "earth", PORTRAIT),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-NH-0004",
            "title": "库页红景天",
            "scientific_name": "Rhodiola sachalinensis Boriss.",
            "kingdom": "植物",
            "family": "景天科 Crassulaceae",
            "genus": "红景天属 Rhodiola",
            "aliases": ["高山红景天"],
            "habitat": "高山苔原、岩石缝隙及砾石坡",
            "distribution": "中国吉林长白山、黑龙江；朝鲜半岛、日本、俄罗斯远东",
            "elevation_m": "1800-2500",
            "locality": "吉林省长白山北坡高山苔原",
            "latitude": "42.0420",
            "longitude": "128.0650",
            "photographer": ["朴成哲"],
            "date": "2016-07",
            "protection_level": "国家二级",
            "description": (
                "多年生草本，根茎粗壮，叶肉质；雌雄异株，花淡黄色。生于长白山高山带，"
                "根和根茎可药用，野生资源因过度采挖而减少。"
            ),
        },
        [
            _img("植株", "flower", "alpine"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-NH-0004",
            "title": "东北虎",
            "scientific_name": "Panthera tigris altaica (Temminck, 1844)",
            "kingdom": "动物",
            "family": "猫科 Felidae",
            "genus": "豹属 Panthera",
            "aliases": ["西伯利亚虎", "阿穆尔虎"],
            "habitat": "大面积连续分布的针阔混交林",
            "distribution": "中国吉林、黑龙江东部；俄罗斯远东；历史上广布于东北山地",
            "locality": "吉林省安图县二道白河镇（馆藏标本拍摄）",
            "latitude": "42.4130",
            "longitude": "128.1190",
            "photographer": ["孙伟"],
            "date": "2010",
            "protection_level": "国家一级",
            "description": (
                "现存体型最大的猫科动物之一，体毛棕黄色，具黑色横纹。历史上广泛分布于长白山林区，"
                "现野生种群主要见于吉林、黑龙江东部与俄罗斯接壤的山区。"
            ),
        },
        [
            _img("标本", "animal", "forest"),
            _img("栖息地", "mountain", "snow"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-NH-0005",
            "title": "梅花鹿",
            "scientific_name": "Cervus nippon Temminck, 1838",
            "kingdom": "动物",
            "family": "鹿科 Cervidae",
            "genus": "鹿属 Cervus",
            "aliases": ["花鹿"],
            "habitat": "针阔混交林林缘、林间草地",
            "distribution": "中国东北、华东、华南及西南局部地区；俄罗斯远东、朝鲜半岛、日本",
            "locality": "吉林省安图县二道白河镇（人工饲养种群）",
            "latitude": "42.4010",
            "longitude": "128.1330",
            "photographer": ["王晓梅"],
            "date": "2012-10",
            "protection_level": "国家一级",
            "description": (
                "中型鹿类，夏毛栗红色并有白色斑点，雄鹿具分叉的角。野生种群稀少，仅野外种群"
                "列为国家一级重点保护野生动物；吉林是人工养殖梅花鹿的重要产区。"
            ),
        },
        [
            _img("雄鹿", "animal", "autumn"),
        ],
    ),
    (
        "NENU-LIB",
        {
            "local_id": "NENU-NH-0008",
            "title": "紫貂",
            "scientific_name": "Martes zibellina (Linnaeus, 1758)",
            "kingdom": "动物",
            "family": "鼬科 Mustelidae",
            "genus": "貂属 Martes",
            "aliases": ["黑貂", "林貂"],
            "habitat": "针叶林和针阔混交林，常在倒木、树洞或石缝中筑巢",
            "distribution": "中国东北、新疆阿尔泰山；俄罗斯、蒙古、朝鲜半岛北部、日本北海道",
            "elevation_m": "800-1800",
            "locality": "吉林省长白山北坡",
            "latitude": "42.1830",
            "longitude": "128.1520",
            "photographer": ["赵雪"],
            "date": "2020-01",
            "protection_level": "国家一级",
            "description": (
                "小型食肉兽，体毛柔软，多为黑褐色，喉部常有淡色斑。貂皮与人参、鹿茸并称东北“三宝”。"
            ),
        },
        [
            _img("雪地", "animal", "snow"),
        ],
    ),
    (
        "NENU-LIB",
        {
            "local_id": "NENU-NH-0009",
            "title": "原麝",
            "scientific_name": "Moschus moschiferus Linnaeus, 1758",
            "kingdom": "动物",
            "family": "麝科 Moschidae",
            "genus": "麝属 Moschus",
            "aliases": ["香獐子", "獐子"],
            "habitat": "针叶林和针阔混交林，多栖于陡峭多岩的山坡",
            "distribution": "中国东北、华北及新疆北部；俄罗斯、蒙古、朝鲜半岛",
            "elevation_m": "800-1600",
            "locality": "吉林省长白山西坡",
            "latitude": "42.0610",
            "longitude": "127.9120",
            "photographer": ["刘洪涛"],
            "date": "2018",
            "protection_level": "国家一级",
            "description": (
                "小型鹿类，雌雄均无角，雄麝上犬齿发达、露出唇外，腹部有麝香腺。"
                "因长期猎取麝香，野生种群显著减少。"
            ),
        },
        [
            _img("个体", "animal", "forest"),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-NH-0005",
            "title": "黑熊",
            "scientific_name": "Ursus thibetanus G. Cuvier, 1823",
            "kingdom": "动物",
            "family": "熊科 Ursidae",
            "genus": "熊属 Ursus",
            "aliases": ["黑瞎子", "狗熊"],
            "habitat": "阔叶林及针阔混交林",
            "distribution": "中国东北、西南、华南等地；南亚、东南亚、俄罗斯远东、朝鲜半岛、日本",
            "elevation_m": "600-1500",
            "locality": "吉林省安图县长白山国家级自然保护区",
            "latitude": "42.2950",
            "longitude": "128.2010",
            "photographer": ["崔明浩"],
            "date": "2015-08",
            "protection_level": "国家二级",
            "description": (
                "体毛黑色，胸部有白色或黄白色新月形斑纹。杂食性，秋季大量取食松子、橡子和浆果，"
                "冬季在树洞或岩洞中冬眠。"
            ),
        },
        [
            _img("个体", "animal", "dusk"),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-NH-0006",
            "title": "猞猁",
            "scientific_name": "Lynx lynx (Linnaeus, 1758)",
            "kingdom": "动物",
            "family": "猫科 Felidae",
            "genus": "猞猁属 Lynx",
            "aliases": ["猞猁狲"],
            "habitat": "针叶林、针阔混交林及多岩石的山地",
            "distribution": "中国东北、华北、西北及青藏高原；欧亚大陆北部",
            "locality": "吉林省长白山北坡",
            "latitude": "42.2210",
            "longitude": "128.0870",
            "photographer": ["崔明浩"],
            "date": "2021-02",
            "protection_level": "国家二级",
            "description": "中型猫科动物，耳尖有黑色簇毛，两颊具下垂的长毛，尾短，四肢粗长。",
        },
        [
            _img("雪地足迹", "animal", "snow"),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-NH-0007",
            "title": "中华秋沙鸭",
            "scientific_name": "Mergus squamatus Gould, 1864",
            "kingdom": "动物",
            "family": "鸭科 Anatidae",
            "genus": "秋沙鸭属 Mergus",
            "aliases": ["鳞胁秋沙鸭"],
            "habitat": "林区清澈湍急的河流，在河岸大树的天然树洞中营巢",
            "distribution": "繁殖于中国东北长白山、小兴安岭及俄罗斯远东，越冬于长江流域及以南地区",
            "locality": "吉林省安图县二道白河",
            "latitude": "42.3790",
            "longitude": "128.0960",
            "photographer": ["朴成哲"],
            "date": "2013-05-02",
            "protection_level": "国家一级",
            "description": (
                "中型鸭类，雄鸟头部黑色具长羽冠，两胁有明显的鳞状斑纹。长白山区森林河流是其"
                "重要繁殖地。"
            ),
        },
        [
            _img("雄鸟", "bird", "river"),
            _img("繁殖河段", "river", "river"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-NH-0006",
            "title": "鸳鸯",
            "scientific_name": "Aix galericulata (Linnaeus, 1758)",
            "kingdom": "动物",
            "family": "鸭科 Anatidae",
            "genus": "鸳鸯属 Aix",
            "habitat": "山地森林中的河流、湖泊，在树洞中营巢",
            "distribution": "繁殖于中国东北及俄罗斯远东、朝鲜半岛、日本，越冬于中国南方",
            "locality": "吉林省抚松县漫江镇",
            "latitude": "41.9310",
            "longitude": "127.6020",
            "photographer": ["孙伟"],
            "date": "2014-05",
            "protection_level": "国家二级",
            "description": "雄鸟羽色艳丽，具橙黄色帆状饰羽；雌鸟灰褐色，有白色眼圈和眼后白纹。",
        },
        [
            _img("雄鸟", "bird", "meadow"),
        ],
    ),
    (
        "NENU-LIB",
        {
            "local_id": "NENU-NH-0010",
            "title": "花尾榛鸡",
            "scientific_name": "Tetrastes bonasia (Linnaeus, 1758)",
            "kingdom": "动物",
            "family": "雉科 Phasianidae",
            "genus": "榛鸡属 Tetrastes",
            "aliases": ["飞龙", "树鸡"],
            "habitat": "针阔混交林及林缘灌丛",
            "distribution": "中国东北、内蒙古东北部及新疆北部；欧亚大陆北部",
            "elevation_m": "600-1500",
            "locality": "吉林省长白山北坡",
            "latitude": "42.2480",
            "longitude": "128.1260",
            "photographer": ["赵雪"],
            "date": "2019-11",
            "protection_level": "国家二级",
            "description": ("小型松鸡类，体羽灰褐色并杂以斑纹，雄鸟喉部黑色。东北民间俗称“飞龙”。"),
        },
        [
            _img("雄鸟", "bird", "snow"),
        ],
    ),
    (
        "NENU-LIB",
        {
            "local_id": "NENU-NH-0011",
            "title": "黑啄木鸟",
            "scientific_name": "Dryocopus martius (Linnaeus, 1758)",
            "kingdom": "动物",
            "family": "啄木鸟科 Picidae",
            "genus": "黑啄木鸟属 Dryocopus",
            "habitat": "成熟的针叶林和针阔混交林",
            "distribution": "中国东北、华北北部、西北及西南局部；欧亚大陆北部",
            "elevation_m": "700-1800",
            "locality": "吉林省长白山北坡",
            "latitude": "42.1360",
            "longitude": "128.1140",
            "photographer": ["刘洪涛"],
            "date": "2016-04",
            "protection_level": "国家二级",
            "description": "大型啄木鸟，通体黑色；雄鸟整个头顶红色，雌鸟仅枕部红色。",
        },
        [
            _img("雄鸟", "bird", "forest", PORTRAIT),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-NH-0008",
            "title": "东北林蛙",
            "scientific_name": "Rana dybowskii Günther, 1876",
            "kingdom": "动物",
            "family": "蛙科 Ranidae",
            "genus": "蛙属 Rana",
            "aliases": ["哈士蟆", "林蛙"],
            "habitat": "森林中的溪流、水塘及周边湿润林地，在河流深水处越冬",
            "distribution": "中国东北；朝鲜半岛、俄罗斯远东",
            "elevation_m": "500-1200",
            "locality": "吉林省安图县二道白河镇",
            "latitude": "42.3950",
            "longitude": "128.0890",
            "photographer": ["崔明浩"],
            "date": "2018-05",
            "protection_level": "无",
            "description": (
                "中型蛙类，体背棕褐色至灰褐色，鼓膜处有黑色三角形斑。雌蛙输卵管干制品称"
                "“哈蟆油”，为传统药材。"
            ),
        },
        [
            _img("成体", "animal", "river"),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-NH-0009",
            "title": "松茸",
            "scientific_name": "Tricholoma matsutake (S. Ito & S. Imai) Singer",
            "kingdom": "真菌",
            "family": "口蘑科 Tricholomataceae",
            "genus": "口蘑属 Tricholoma",
            "aliases": ["松口蘑", "松蘑"],
            "habitat": "与松属等树木形成外生菌根，生于针阔混交林地上",
            "distribution": "中国东北、西南等地；朝鲜半岛、日本",
            "elevation_m": "500-1100",
            "locality": "吉林省安图县",
            "latitude": "42.4560",
            "longitude": "128.2010",
            "photographer": ["金美善"],
            "date": "2018-09-05",
            "protection_level": "国家二级",
            "description": (
                "菌盖褐色，具纤维状鳞片，菌肉白色，有特殊香气。是珍贵的野生食用菌，"
                "目前尚不能人工栽培。"
            ),
        },
        [
            _img("子实体", "mushroom", "earth"),
            _img("生境", "tree", "forest"),
        ],
    ),
    (
        "NENU-LIB",
        {
            "local_id": "NENU-NH-0012",
            "title": "猴头菇",
            "scientific_name": "Hericium erinaceus (Bull.) Pers.",
            "kingdom": "真菌",
            "family": "猴头菌科 Hericiaceae",
            "genus": "猴头菌属 Hericium",
            "aliases": ["猴头菌", "猴头"],
            "habitat": "生于栎树、胡桃楸等阔叶树的立木或倒木上",
            "distribution": "中国东北、华北、西南等地；北半球温带",
            "elevation_m": "500-1200",
            "locality": "吉林省安图县二道白河镇",
            "latitude": "42.3520",
            "longitude": "128.0510",
            "photographer": ["赵雪"],
            "date": "2017-09",
            "protection_level": "无",
            "description": (
                "子实体块状，白色至淡黄色，表面密生下垂的长肉刺，形似猴头。为著名食用菌，"
                "现已广泛人工栽培。"
            ),
        },
        [
            _img("子实体", "mushroom", "forest", SQUARE),
        ],
    ),
    (
        "NENU-LIB",
        {
            "local_id": "NENU-NH-0013",
            "title": "桦褐孔菌",
            "scientific_name": "Inonotus obliquus (Ach. ex Pers.) Pilát",
            "kingdom": "真菌",
            "family": "锈革孔菌科 Hymenochaetaceae",
            "genus": "纤孔菌属 Inonotus",
            "aliases": ["白桦茸", "桦树茸"],
            "habitat": "寄生于白桦、岳桦等桦树的活立木树干上",
            "distribution": "中国东北、华北北部；北半球寒温带桦树林",
            "elevation_m": "800-1800",
            "locality": "吉林省长白山北坡",
            "latitude": "42.1040",
            "longitude": "128.0940",
            "photographer": ["刘洪涛"],
            "date": "2019",
            "protection_level": "无",
            "description": (
                "在桦树树干上形成黑色、表面龟裂的不育菌块，内部黄褐色，质地坚硬。"
                "民间常切块煮水饮用。"
            ),
        },
        [
            _img("菌块", "tree", "snow", PORTRAIT),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-NH-0007",
            "title": "黑木耳",
            "scientific_name": "Auricularia heimuer F. Wu, B. K. Cui & Y. C. Dai",
            "kingdom": "真菌",
            "family": "木耳科 Auriculariaceae",
            "genus": "木耳属 Auricularia",
            "aliases": ["木耳"],
            "habitat": "生于阔叶树的枯立木、倒木和树桩上",
            "distribution": "中国东北及其他各地；东亚",
            "elevation_m": "500-1000",
            "locality": "吉林省抚松县露水河镇",
            "latitude": "42.4950",
            "longitude": "127.7710",
            "photographer": ["王晓梅"],
            "date": "2016-07",
            "protection_level": "无",
            "description": (
                "子实体胶质，耳状或杯状，湿时柔软，干后收缩变硬。东亚广泛食用和栽培的黑木耳"
                "过去多被鉴定为 Auricularia auricula-judae，2014年被描述为新种。"
            ),
        },
        [
            _img("子实体", "mushroom", "autumn"),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-NH-0010",
            "title": "蜜环菌",
            "scientific_name": "Armillaria mellea (Vahl) P. Kumm.",
            "kingdom": "真菌",
            "family": "泡头菌科 Physalacriaceae",
            "genus": "蜜环菌属 Armillaria",
            "aliases": ["榛蘑"],
            "habitat": "丛生于阔叶树和针叶树的树根、树桩基部或埋木上",
            "distribution": "中国各地；北半球温带",
            "elevation_m": "500-1400",
            "locality": "吉林省安图县二道白河镇",
            "latitude": "42.3310",
            "longitude": "128.1690",
            "photographer": ["崔明浩"],
            "date": "2021-09",
            "protection_level": "无",
            "description": (
                "菌盖蜜黄色至黄褐色，菌柄上部有菌环，常成丛生长。东北俗称“榛蘑”，是常见的野生"
                "食用菌；天麻的生长依赖与蜜环菌的共生关系。"
            ),
        },
        [
            _img("菌丛", "mushroom", "earth"),
        ],
    ),
]


# --- 吉林省非物质文化遗产 (ich) --------------------------------------------------------------

_ICH = [
    (
        "YB-LIB",
        {
            "local_id": "YB-ICH-0001",
            "title": "朝鲜族农乐舞",
            "category": "传统舞蹈",
            "level": "人类非物质文化遗产代表作",
            "batch_year": "2009",
            "region": ["吉林省延边朝鲜族自治州汪清县"],
            "inheritors": ["金明春"],
            "ethnic_group": ["朝鲜族"],
            "description": (
                "融音乐、舞蹈、演唱为一体的朝鲜族民间综合艺术，源于古代祭天与农耕活动，"
                "象帽舞、乞粒舞是其代表形式。2006年列入第一批国家级非物质文化遗产名录，"
                "2009年“中国朝鲜族农乐舞”列入联合国教科文组织人类非物质文化遗产代表作名录。"
            ),
            "subject": ["象帽舞", "乞粒舞", "农乐"],
            "date": "2015-06-13",
        },
        [
            _img("演出现场", "dance", "festival"),
            _img("象帽舞", "dance", "dusk", PORTRAIT),
            _img("乐器", "music", "festival"),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-ICH-0002",
            "title": "朝鲜族长鼓舞",
            "category": "传统舞蹈",
            "level": "国家级",
            "region": ["吉林省图们市"],
            "ethnic_group": ["朝鲜族"],
            "description": (
                "以长鼓为道具的朝鲜族代表性舞蹈，舞者将长鼓斜挎于身前，一手执鼓槌、一手拍击鼓面，"
                "边击边舞，节奏明快，舞姿轻盈。图们市有“长鼓舞之乡”之称。"
            ),
            "subject": ["长鼓", "朝鲜族舞蹈"],
            "date": "2012-09",
        },
        [
            _img("群舞", "dance", "festival"),
            _img("长鼓", "music", "festival", SQUARE),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-ICH-0003",
            "title": "朝鲜族洞箫音乐",
            "category": "传统音乐",
            "level": "国家级",
            "batch_year": "2008",
            "region": ["吉林省延吉市", "吉林省珲春市"],
            "protection_unit": "延吉市文化馆、珲春市文化馆",
            "ethnic_group": ["朝鲜族"],
            "description": (
                "洞箫是朝鲜族传统竖吹管乐器，音色柔和深沉，可独奏，也可与鼓合奏或为民歌伴奏。"
                "2008年朝鲜族洞箫音乐列入第二批国家级非物质文化遗产名录，珲春市有“洞箫之乡”之称。"
            ),
            "subject": ["洞箫", "器乐"],
            "date": "2017-10",
        },
        [
            _img("演奏", "music", "dusk"),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-ICH-0004",
            "title": "朝鲜族伽倻琴艺术",
            "category": "传统音乐",
            "level": "国家级",
            "batch_year": "2011",
            "ethnic_group": ["朝鲜族"],
            "description": (
                "伽倻琴是朝鲜族传统弹拨弦鸣乐器，音色清雅，可独奏、弹唱和合奏，能细腻表现多种情感。"
                "2011年列入第三批国家级非物质文化遗产名录，龙井市有“伽倻琴之乡”之称。"
            ),
            "subject": ["伽倻琴", "器乐", "弹唱"],
            "date": "2019-05",
        },
        [
            _img("伽倻琴", "music", "dusk"),
            _img("弹唱", "music", "festival", PORTRAIT),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-ICH-0005",
            "title": "朝鲜族跳板、秋千",
            "category": "传统体育、游艺与杂技",
            "level": "国家级",
            "batch_year": "2006",
            "region": ["吉林省延边朝鲜族自治州"],
            "ethnic_group": ["朝鲜族"],
            "description": (
                "跳板和秋千是朝鲜族妇女喜爱的传统体育游戏，多在端午、中秋等节日举行。跳板由两人"
                "分立木板两端交替踏跳，将对方弹向空中；秋千以荡起的高度或触铃定胜负。"
            ),
            "subject": ["跳板", "秋千", "端午节"],
            "date": "2019-06-07",
        },
        [
            _img("跳板", "dance", "meadow", PORTRAIT),
            _img("秋千", "dance", "festival"),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-ICH-0006",
            "title": "朝鲜族服饰",
            "category": "民俗",
            "level": "国家级",
            "batch_year": "2008",
            "region": ["吉林省延边朝鲜族自治州"],
            "ethnic_group": ["朝鲜族"],
            "description": (
                "朝鲜族喜穿素白衣服，素有“白衣民族”之称。传统服饰中女子穿短衣长裙，短衣斜领、无扣，以飘带打结；"
                "男子穿短衣、宽腿长裤，外加坎肩，出门时穿长袍。2008年列入第二批国家级非物质文化遗产名录。"
            ),
            "subject": ["服饰", "短衣长裙"],
            "date": "2016-09-03",
        },
        [
            _img("女装", "craft", "festival", PORTRAIT),
            _img("盛装游行", "dance", "meadow"),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-ICH-0007",
            "title": "婚俗（朝鲜族回婚礼）",
            "category": "民俗",
            "level": "国家级",
            "batch_year": "2011",
            "region": ["吉林省延边朝鲜族自治州"],
            "protection_unit": "延边文化艺术研究中心（延边非物质文化遗产保护中心）",
            "ethnic_group": ["朝鲜族"],
            "description": (
                "回婚礼是朝鲜族为纪念结婚六十周年而举行的礼仪。老夫妇身着婚礼服重行婚礼仪式，"
                "接受子孙和亲友的祝福，体现尊老敬老、家庭和睦的传统伦理。"
            ),
            "subject": ["回婚礼", "人生礼仪", "尊老"],
            "date": "2014",
        },
        [
            _img("礼仪现场", "dance", "festival"),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-ICH-0008",
            "title": "朝鲜族花甲礼",
            "category": "民俗",
            "level": "国家级",
            "ethnic_group": ["朝鲜族"],
            "description": (
                "花甲礼是朝鲜族为年满六十周岁的老人举行的寿庆礼仪。子女为老人摆设寿宴，"
                "亲友按长幼次序献上寿酒并行拜礼，席间载歌载舞。"
            ),
            "subject": ["花甲礼", "人生礼仪", "尊老"],
            "date": "2018-04",
        },
        [
            _img("寿宴", "craft", "festival"),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-ICH-0009",
            "title": "朝鲜族龙鼓舞",
            "category": "传统舞蹈",
            "level": "省级",
            "batch_year": "2019",
            "region": ["吉林省龙井市"],
            "ethnic_group": ["朝鲜族"],
            "description": (
                "以龙鼓为道具的朝鲜族民间舞蹈，源于祈求丰收与平安的民俗活动，在龙井市一带流传较广，"
                "2019年列入吉林省非物质文化遗产代表性项目名录。"
            ),
            "subject": ["龙鼓", "朝鲜族舞蹈"],
            "date": "2021-08",
        },
        [
            _img("演出现场", "dance", "dusk"),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-ICH-0010",
            "title": "朝鲜族打糕制作技艺",
            "category": "传统技艺",
            "level": "省级",
            "ethnic_group": ["朝鲜族"],
            "description": (
                "将浸泡后蒸熟的糯米放入木槽或石槽，用木槌反复捶打成糕，食用时蘸黄豆面或红豆沙。"
                "打糕是朝鲜族节庆和待客的传统食品。"
            ),
            "subject": ["打糕", "饮食", "糯米"],
            "date": "2020-10",
        },
        [
            _img("捶打", "craft", "earth"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-ICH-0001",
            "title": "满族说部",
            "category": "民间文学",
            "level": "国家级",
            "batch_year": "2006",
            "region": ["吉林省"],
            "protection_unit": "吉林省艺术研究院",
            "inheritors": ["富育光"],
            "ethnic_group": ["满族"],
            "description": (
                "满族说部是满族民间流传的长篇散文体叙事文学，源于满族各家族内部“讲古”"
                "（满语“乌勒本”）的传统，讲述本民族、本宗族的历史与英雄故事。"
                "2006年列入第一批国家级非物质文化遗产名录。"
            ),
            "subject": ["乌勒本", "讲古", "口头文学"],
            "date": "2012-11",
        },
        [
            _img("讲述", "document", "ink"),
            _img("手抄本", "document", "paper", PORTRAIT),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-ICH-0002",
            "title": "二人转",
            "category": "传统戏剧",
            "level": "国家级",
            "batch_year": "2006",
            "region": ["吉林省"],
            "ethnic_group": ["汉族"],
            "description": (
                "流行于东北地区的民间表演艺术，以一旦一丑两人载歌载舞、走唱表演为基本形式，"
                "讲究唱、说、扮、舞，手绢和扇子是常用道具。民间有“宁舍一顿饭，不舍二人转”之说。"
            ),
            "subject": ["二人转", "东北地方戏", "手绢"],
            "date": "2010-01",
        },
        [
            _img("舞台演出", "dance", "festival"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-ICH-0003",
            "title": "黄龙戏",
            "category": "传统戏剧",
            "level": "国家级",
            "batch_year": "2008",
            "region": ["吉林省农安县"],
            "ethnic_group": ["汉族"],
            "description": (
                "形成于吉林省农安县的地方戏曲剧种，因农安古称“黄龙府”而得名，在当地皮影戏音乐"
                "和民间说唱的基础上发展而成。2008年列入第二批国家级非物质文化遗产名录。"
            ),
            "subject": ["地方戏曲", "黄龙府"],
            "date": "2013",
        },
        [
            _img("剧照", "dance", "dusk"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-ICH-0004",
            "title": "东北大鼓",
            "category": "曲艺",
            "level": "国家级",
            "batch_year": "2008",
            "region": ["吉林省榆树市"],
            "ethnic_group": ["汉族"],
            "description": (
                "流行于东北地区的鼓曲曲种，演员自击书鼓、简板说唱，以三弦等乐器伴奏。"
                "榆树市申报的东北大鼓于2008年列入国家级非物质文化遗产扩展项目名录。"
            ),
            "subject": ["鼓曲", "说唱"],
            "date": "2016-05",
        },
        [
            _img("演唱", "music", "sepia"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-ICH-0005",
            "title": "满族刺绣（长白山满族枕头顶刺绣）",
            "category": "传统美术",
            "level": "国家级",
            "batch_year": "2008",
            "ethnic_group": ["满族"],
            "description": (
                "流传于吉林省通化、白山、辽源等长白山区满族民间的刺绣技艺，因绣于布枕两端的"
                "“枕头顶”而得名。题材多样、色彩艳丽，旧时姑娘出嫁前要绣制数十对枕头顶作为嫁妆。"
            ),
            "subject": ["刺绣", "枕头顶", "嫁妆"],
            "date": "2015-03",
        },
        [
            _img("枕头顶", "craft", "festival", SQUARE),
            _img("绣片", "craft", "earth"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-ICH-0006",
            "title": "长白山采参习俗",
            "category": "民俗",
            "level": "国家级",
            "batch_year": "2008",
            "region": ["吉林省抚松县"],
            "description": (
                "长白山区放山人在长期采挖野山参过程中形成的一整套行规、禁忌和信仰，包括拉帮、"
                "拜老把头、压山、喊山、抬棒槌等环节，讲究“抬大留小”。2008年列入国家级非物质文化遗产名录。"
            ),
            "subject": ["放山", "人参", "老把头", "棒槌"],
            "date": "2013-04",
        },
        [
            _img("放山", "mountain", "forest"),
            _img("抬棒槌", "leaf", "forest", PORTRAIT),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-ICH-0007",
            "title": "查干淖尔冬捕习俗",
            "category": "民俗",
            "level": "国家级",
            "batch_year": "2008",
            "region": ["吉林省松原市前郭尔罗斯蒙古族自治县"],
            "ethnic_group": ["蒙古族", "汉族"],
            "description": (
                "查干淖尔即查干湖，位于前郭尔罗斯蒙古族自治县。冬季在冰面凿洞、冰下走网、"
                "马拉绞盘收网的大拉网捕鱼历史悠久，开网前举行祭湖、醒网仪式。"
            ),
            "subject": ["查干湖", "冬捕", "祭湖醒网", "渔猎"],
            "date": "2016-12-28",
        },
        [
            _img("冰湖", "river", "snow"),
            _img("祭湖醒网", "dance", "snow"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-ICH-0008",
            "title": "长白山满族剪纸",
            "category": "传统美术",
            "level": "人类非物质文化遗产代表作",
            "batch_year": "2009",
            "region": ["吉林省"],
            "ethnic_group": ["满族"],
            "description": (
                "长白山满族剪纸风格古朴粗犷，多表现满族神话、萨满信仰及生产生活习俗，"
                "作为“中国剪纸”的组成部分于2009年列入联合国教科文组织人类非物质文化遗产代表作名录。"
            ),
            "subject": ["剪纸", "萨满", "民间美术"],
            "date": "2018-06",
        },
        [
            _img("作品", "craft", "festival"),
            _img("作品局部", "craft", "ink", SQUARE),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-ICH-0009",
            "title": "长白山老把头传说",
            "category": "民间文学",
            "level": "省级",
            "batch_year": "2009",
            "region": ["吉林省通化市"],
            "description": (
                "以放山人崇奉的“老把头”孙良为中心的民间传说，讲述其进山采参、遇难山中的故事。"
                "老把头被长白山区放山人奉为山神，农历三月十六相传为其生日。"
            ),
            "subject": ["老把头", "孙良", "放山", "人参"],
            "date": "2011",
        },
        [
            _img("山林", "mountain", "forest"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-ICH-0010",
            "title": "东辽葫芦画",
            "category": "传统美术",
            "level": "省级",
            "batch_year": "2009",
            "region": ["吉林省东辽县"],
            "description": "以葫芦为载体，通过烙画、彩绘等手法在葫芦表面绘制图案的民间美术。",
            "subject": ["葫芦", "烙画", "彩绘"],
            "date": "2017",
        },
        [
            _img("作品", "craft", "earth", PORTRAIT),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-ICH-0011",
            "title": "乌拉满族赫舍里氏刻纸与剪纸",
            "category": "传统美术",
            "level": "省级",
            "batch_year": "2009",
            "region": ["吉林省吉林市"],
            "ethnic_group": ["满族"],
            "description": "流传于吉林市乌拉街一带满族赫舍里氏家族的刻纸与剪纸技艺。",
            "subject": ["刻纸", "剪纸", "乌拉街"],
            "date": "2014-02",
        },
        [
            _img("刻纸", "craft", "ink"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-ICH-0012",
            "title": "蒙古族长篇英雄史诗《阿勇干·散迪尔》",
            "category": "民间文学",
            "level": "省级",
            "batch_year": "2009",
            "region": ["吉林省前郭尔罗斯蒙古族自治县"],
            "ethnic_group": ["蒙古族"],
            "description": "流传于前郭尔罗斯蒙古族地区的蒙古族长篇英雄史诗。",
            "subject": ["英雄史诗", "郭尔罗斯"],
            "date": "2015",
        },
        [
            _img("说唱", "music", "dusk"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-ICH-0013",
            "title": "火烧船厂的传说",
            "category": "民间文学",
            "level": "省级",
            "batch_year": "2009",
            "region": ["吉林省吉林市"],
            "description": (
                "流传于吉林市的民间传说，与清代吉林造船的历史有关。吉林市因明清两代在松花江畔"
                "设厂造船，旧有“船厂”之称。"
            ),
            "subject": ["船厂", "松花江", "地方传说"],
            "date": "2012",
        },
        [
            _img("松花江", "river", "sepia"),
        ],
    ),
]


# --- 吉林地方文献 (generic) ----------------------------------------------------------------

_GENERIC = [
    (
        "JL-SL",
        {
            "local_id": "JL-LD-0001",
            "title": "吉林通志",
            "alternative": ["吉林通誌"],
            "creator": ["长顺 修", "李桂林 纂"],
            "subject": ["方志", "吉林省", "清代"],
            "description": (
                "清光绪年间吉林将军长顺主持修纂的吉林省志，一百二十二卷，记述吉林地区的沿革、"
                "舆地、食货、职官、人物等，是研究清代吉林历史的基本文献。"
            ),
            "date": "清代",
            "type": "图书",
            "format": "线装刻本",
            "source": "吉林省图书馆古籍部",
            "language": "chi",
            "coverage": ["吉林省"],
        },
        [
            _img("卷首", "document", "paper", PORTRAIT),
            _img("书影", "document", "sepia", PORTRAIT),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-LD-0002",
            "title": "吉林外纪",
            "alternative": ["吉林外紀"],
            "creator": ["萨英额"],
            "subject": ["地方志", "吉林省", "清代"],
            "description": (
                "清代萨英额撰，十卷，成书于道光年间，记载吉林地区的疆域、山川、城池、官制、"
                "风俗和物产等。"
            ),
            "date": "清代",
            "type": "图书",
            "format": "线装",
            "source": "吉林省图书馆古籍部",
            "language": "chi",
            "coverage": ["吉林省"],
        },
        [
            _img("书影", "document", "paper", PORTRAIT),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-LD-0001",
            "title": "长白山江岗志略",
            "alternative": ["長白山江岡志略"],
            "creator": ["刘建封"],
            "subject": ["长白山", "地理考察", "江源"],
            "description": (
                "刘建封于1908年奉命踏查长白山及鸭绿江、图们江、松花江三江之源后撰写的考察志书，"
                "记述天池诸峰、江源、古迹和物产，并为天池周围诸峰命名。"
            ),
            "date": "1908",
            "type": "图书",
            "format": "线装",
            "source": "延边州图书馆地方文献室",
            "language": "chi",
            "coverage": ["长白山", "鸭绿江", "图们江", "松花江"],
        },
        [
            _img("书影", "document", "paper", PORTRAIT),
            _img("天池", "mountain", "alpine"),
        ],
    ),
    (
        "NENU-LIB",
        {
            "local_id": "NENU-LD-0001",
            "title": "好太王碑拓本",
            "alternative": ["廣開土王碑拓本", "广开土王碑拓本"],
            "subject": ["好太王碑", "高句丽", "金石拓片"],
            "description": (
                "好太王碑立于公元414年，位于今吉林省集安市，碑文记述高句丽第十九代王好太王"
                "（广开土王）的功绩。清光绪初年碑被发现后，流传有多种拓本。"
            ),
            "date": "清代",
            "type": "拓片",
            "format": "墨拓本",
            "source": "东北师范大学图书馆古籍部",
            "language": "chi",
            "coverage": ["集安市", "高句丽"],
        },
        [
            _img("拓本局部", "document", "ink", PORTRAIT),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-LD-0003",
            "title": "吉林机器局旧影",
            "alternative": ["吉林機器局"],
            "subject": ["吉林机器局", "洋务运动", "近代工业"],
            "description": (
                "吉林机器局由吴大澂奏请、创办于清光绪七年（1881年），位于吉林省城东郊，是东北地区"
                "最早的近代机器工业之一，今吉林市“东局子”地名即由此而来。"
            ),
            "date": "清代",
            "type": "照片",
            "format": "黑白照片",
            "source": "吉林省图书馆地方文献部",
            "language": "chi",
            "coverage": ["吉林市"],
        },
        [
            _img("厂区", "building", "sepia"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-LD-0004",
            "title": "吉林文庙大成殿",
            "alternative": ["吉林孔庙"],
            "subject": ["文庙", "古建筑", "吉林市"],
            "description": (
                "吉林文庙始建于清乾隆元年（1736年），光绪三十三年（1907年）迁建于今址，"
                "与曲阜、北京、南京孔庙并称中国四大文庙。照片为民国时期所摄大成殿外景。"
            ),
            "date": "民国",
            "type": "照片",
            "format": "黑白照片",
            "source": "吉林省图书馆地方文献部",
            "language": "chi",
            "coverage": ["吉林市"],
        },
        [
            _img("大成殿", "building", "sepia"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-LD-0005",
            "title": "吉林天主教堂",
            "subject": ["天主教堂", "近代建筑", "吉林市"],
            "description": (
                "位于吉林市松花江畔的哥特式天主教堂，1917年奠基，1926年竣工，"
                "是吉林市标志性的近代建筑之一。"
            ),
            "date": "约1930",
            "type": "照片",
            "format": "黑白照片",
            "source": "吉林省图书馆地方文献部",
            "language": "chi",
            "coverage": ["吉林市", "松花江"],
        },
        [
            _img("外景", "building", "ink", PORTRAIT),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-LD-0006",
            "title": "吉林北山玉皇阁",
            "subject": ["北山", "寺庙", "吉林市"],
            "description": (
                "北山位于吉林市区西北部，山上有关帝庙、药王庙、玉皇阁等清代寺庙建筑群，"
                "是吉林市著名的游览胜地。"
            ),
            "date": "民国",
            "type": "照片",
            "format": "黑白照片",
            "source": "吉林省图书馆地方文献部",
            "language": "chi",
            "coverage": ["吉林市"],
        },
        [
            _img("玉皇阁", "building", "sepia"),
            _img("北山远眺", "mountain", "sepia"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-LD-0007",
            "title": "吉林省城街市图",
            "alternative": ["吉林省城圖"],
            "subject": ["地图", "城市街道", "吉林市"],
            "description": "描绘民国时期吉林省城（今吉林市）街道布局与松花江沿岸的平面图。",
            "date": "民国",
            "type": "地图",
            "format": "纸本彩绘",
            "source": "吉林省图书馆地方文献部",
            "language": "chi",
            "coverage": ["吉林市", "松花江"],
        },
        [
            _img("全图", "map", "paper", WIDE),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-LD-0008",
            "title": "伪满皇宫旧址同德殿",
            "alternative": ["伪满洲国皇宫"],
            "subject": ["伪满皇宫", "东北沦陷史", "近代建筑"],
            "description": (
                "伪满皇宫位于长春市光复北路，是清末代皇帝溥仪1932年至1945年居住和进行傀儡统治"
                "活动的场所，现为伪满皇宫博物院。同德殿建成于1938年。"
            ),
            "date": "1980s",
            "type": "照片",
            "format": "彩色照片",
            "source": "吉林省图书馆地方文献部",
            "language": "chi",
            "coverage": ["长春市"],
            "rights": INC_EDU,
        },
        [
            _img("同德殿", "building", "earth"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-LD-0009",
            "title": "伪满国务院旧址",
            "subject": ["伪满八大部", "东北沦陷史", "近代建筑"],
            "description": (
                "位于长春市新民大街，1936年建成，是伪满“八大部”建筑群中规模最大的建筑之一，"
                "现为吉林大学白求恩医学部使用。"
            ),
            "date": "20世纪90年代",
            "type": "照片",
            "format": "彩色照片",
            "source": "吉林省图书馆地方文献部",
            "language": "chi",
            "coverage": ["长春市"],
            "rights": INC_EDU,
        },
        [
            _img("正面", "building", "sepia"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-LD-0010",
            "title": "第一汽车制造厂第一辆解放牌汽车下线",
            "alternative": ["一汽第一辆解放牌汽车"],
            "subject": ["第一汽车制造厂", "解放牌汽车", "工业史"],
            "description": (
                "第一汽车制造厂于1953年7月15日在长春奠基，1956年7月13日第一辆解放牌CA10型"
                "载货汽车驶下总装线，结束了中国不能批量生产汽车的历史。"
            ),
            "date": "1956-07",
            "type": "照片",
            "format": "黑白照片",
            "source": "吉林省图书馆地方文献部",
            "language": "chi",
            "coverage": ["长春市"],
            "rights": INC_EDU,
        },
        [
            _img("厂房", "building", "ink", WIDE),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-LD-0011",
            "title": "长春电影制片厂厂门",
            "alternative": ["长影"],
            "subject": ["长春电影制片厂", "电影史"],
            "description": (
                "长春电影制片厂前身为1946年10月成立的东北电影制片厂，1955年改称长春电影制片厂，"
                "是新中国第一家电影制片厂，摄制了《桥》《白毛女》等早期影片。"
            ),
            "date": "20世纪50年代",
            "type": "照片",
            "format": "黑白照片",
            "source": "吉林省图书馆地方文献部",
            "language": "chi",
            "coverage": ["长春市"],
            "rights": INC_EDU,
        },
        [
            _img("厂门", "building", "sepia"),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-LD-0012",
            "title": "丰满水电站大坝",
            "subject": ["丰满水电站", "松花江", "水利"],
            "description": (
                "丰满水电站位于吉林市东南的松花江上，1937年开工，新中国成立后续建完成，"
                "被誉为“中国水电之母”。"
            ),
            "date": "1950s",
            "type": "照片",
            "format": "黑白照片",
            "source": "吉林省图书馆地方文献部",
            "language": "chi",
            "coverage": ["吉林市", "松花江"],
            "rights": INC_EDU,
        },
        [
            _img("大坝", "river", "ink", WIDE),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-LD-0013",
            "title": "吉林市松花江畔雾凇",
            "alternative": ["吉林霧凇"],
            "subject": ["雾凇", "松花江", "冬季景观"],
            "description": (
                "冬季丰满水电站下泄的江水温度高于气温，江面水汽遇冷在沿岸树木上凝结成雾凇。"
                "吉林雾凇与桂林山水、云南石林、长江三峡并称中国四大自然奇观。"
            ),
            "date": "20世纪80年代",
            "type": "照片",
            "format": "彩色照片",
            "source": "吉林省图书馆地方文献部",
            "language": "chi",
            "coverage": ["吉林市", "松花江"],
            "rights": INC_EDU,
        },
        [
            _img("江畔", "river", "snow"),
            _img("树挂", "tree", "snow", PORTRAIT),
        ],
    ),
    (
        "JL-SL",
        {
            "local_id": "JL-LD-0014",
            "title": "吉林省图书馆旧馆",
            "subject": ["吉林省图书馆", "图书馆史"],
            "description": "吉林省图书馆始建于1909年（清宣统元年），是吉林省规模最大的公共图书馆。",
            "date": "20世纪80年代",
            "type": "照片",
            "format": "彩色照片",
            "source": "吉林省图书馆馆史资料",
            "language": "chi",
            "coverage": ["长春市"],
            "publisher": "吉林省图书馆",
            "rights": INC_EDU,
        },
        [
            _img("外景", "building", "earth"),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-LD-0002",
            "title": "延边朝鲜族自治区成立庆祝大会",
            "subject": ["延边朝鲜族自治州", "民族区域自治", "州庆"],
            "description": (
                "1952年9月3日，延边朝鲜族自治区在延吉成立，1955年改称延边朝鲜族自治州。"
                "9月3日由此成为延边朝鲜族自治州的州庆日。"
            ),
            "date": "1952-09-03",
            "type": "照片",
            "format": "黑白照片",
            "source": "延边州图书馆地方文献室",
            "language": "chi",
            "coverage": ["延吉市", "延边朝鲜族自治州"],
            "rights": INC_EDU,
        },
        [
            _img("会场", "dance", "sepia", WIDE),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-LD-0003",
            "title": "延吉市街景",
            "subject": ["延吉", "城市风貌"],
            "description": "反映20世纪50年代延吉市区街道与建筑面貌的老照片。",
            "date": "1950s",
            "type": "照片",
            "format": "黑白照片",
            "source": "延边州图书馆地方文献室",
            "language": "chi",
            "coverage": ["延吉市"],
            "rights": INC_EDU,
        },
        [
            _img("街道", "building", "ink"),
        ],
    ),
    (
        "YB-LIB",
        {
            "local_id": "YB-LD-0004",
            "title": "图们江畔",
            "subject": ["图们江", "界河", "延边"],
            "description": (
                "图们江发源于长白山东麓，是中朝界河，下游流经中、朝、俄三国边境后注入日本海。"
            ),
            "date": "民国",
            "type": "照片",
            "format": "黑白照片",
            "source": "延边州图书馆地方文献室",
            "language": "chi",
            "coverage": ["图们江", "延边朝鲜族自治州"],
        },
        [
            _img("江景", "river", "sepia", WIDE),
        ],
    ),
    (
        "NENU-LIB",
        {
            "local_id": "NENU-LD-0002",
            "title": "东北师范大学校门旧影",
            "subject": ["东北师范大学", "校史"],
            "description": (
                "东北师范大学前身是1946年创建的东北大学，1950年更名为东北师范大学。"
                "照片为20世纪50年代的校门。"
            ),
            "date": "20世纪50年代",
            "type": "照片",
            "format": "黑白照片",
            "source": "东北师范大学图书馆特藏部",
            "language": "chi",
            "coverage": ["长春市"],
            "publisher": "东北师范大学图书馆",
            "rights": INC_EDU,
        },
        [
            _img("校门", "building", "sepia"),
        ],
    ),
]


def _records(collection, rows):
    return [
        {"collection": collection, "library": library, "metadata": metadata, "images": images}
        for library, metadata, images in rows
    ]


RECORDS = (
    _records("changbaishan", _NATURAL_HISTORY)
    + _records("jilin-ich", _ICH)
    + _records("jilin-local-documents", _GENERIC)
)
