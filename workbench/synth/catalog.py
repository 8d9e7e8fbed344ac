"""The drug catalogue the synthetic district trades (realistic names and packs, fictional codes).

Each row: name, spec, units per pack, box price (CNY), class (X 西药 / Z 中成药 / T 饮片·颗粒, exempt),
category code (ATC-like), 集采 flag, channel (any / hosp / pharm), GS1 company prefix (imported) or "",
Rx flag, popularity weight.

>>> len(CATALOG) >= 40
True
>>> sum(1 for r in CATALOG if r.cls == "T") >= 2
True
"""
from __future__ import annotations

from typing import NamedTuple


class Drug(NamedTuple):
    name: str
    spec: str
    units: int
    price: float
    cls: str
    cat: str
    jicai: bool
    channel: str
    gs1: str
    rx: str
    pop: float


_ROWS = """
阿莫西林胶囊|0.25g*24粒|24|8.50|X|J01CA|1|any||1|9
头孢克肟分散片|0.1g*6片|6|18.60|X|J01DD|1|any||1|6
布洛芬缓释胶囊|0.3g*20粒|20|16.80|X|M01AE|0|pharm||0|8
对乙酰氨基酚片|0.5g*12片|12|5.20|X|N02BE|0|any||0|6
奥美拉唑肠溶胶囊|20mg*14粒|14|9.80|X|A02BC|1|any||1|8
苯磺酸氨氯地平片|5mg*28片|28|6.30|X|C08CA|1|any||1|10
硝苯地平控释片|30mg*7片|7|33.50|X|C08CA|0|any|5000456|1|5
厄贝沙坦片|0.15g*28片|28|12.40|X|C09CA|1|any||1|7
缬沙坦胶囊|80mg*28粒|28|15.90|X|C09CA|1|any||1|6
盐酸二甲双胍缓释片|0.5g*30片|30|7.60|X|A10BA|1|any||1|9
阿卡波糖片|50mg*30片|30|14.20|X|A10BF|1|any||1|6
格列美脲片|2mg*30片|30|19.80|X|A10BB|1|any||1|4
阿托伐他汀钙片|20mg*28片|28|7.90|X|C10AA|1|any||1|9
瑞舒伐他汀钙片|10mg*28片|28|9.60|X|C10AA|1|any||1|7
硫酸氢氯吡格雷片|75mg*28片|28|14.60|X|B01AC|1|any||1|6
阿司匹林肠溶片|100mg*30片|30|15.50|X|B01AC|0|any|4005870|1|8
左氧氟沙星片|0.5g*6片|6|12.80|X|J01MA|1|any||1|5
蒙脱石散|3g*10袋|10|18.90|X|A07BC|0|any||0|5
氯雷他定片|10mg*6片|6|21.50|X|R06AX|0|pharm||0|5
孟鲁司特钠片|10mg*5片|5|29.80|X|R03DC|1|any||1|4
沙美特罗替卡松吸入粉雾剂|50μg/250μg*60吸|1|226.00|X|R03AK|0|any|5000456|1|3
甲钴胺片|0.5mg*20片|20|24.60|X|B03BA|0|any||1|4
吲达帕胺缓释片|1.5mg*30片|30|22.40|X|C03BA|1|any||1|4
恩替卡韦分散片|0.5mg*28片|28|11.20|X|J05AF|1|any||1|4
利伐沙班片|10mg*10片|10|52.80|X|B01AF|1|any|4005870|1|3
达格列净片|10mg*30片|30|128.00|X|A10BK|0|any|7310040|1|3
磷酸西格列汀片|100mg*14片|14|66.50|X|A10BH|1|any||1|3
门冬胰岛素注射液|3ml:300单位*1支|1|58.90|X|A10AB|0|hosp|5701610|1|3
注射用头孢曲松钠|1.0g*1瓶|1|6.80|X|J01DD|1|hosp||1|6
氯化钠注射液|0.9%*250ml|1|3.20|X|B05BB|0|hosp||1|8
连花清瘟胶囊|0.35g*24粒|24|26.80|Z|A01BA|0|any||0|8
复方丹参滴丸|27mg*180丸|180|32.50|Z|A04BA|0|any||0|6
六味地黄丸|200丸|200|28.00|Z|A12AA|0|pharm||0|5
藿香正气水|10ml*10支|10|12.50|Z|A05AA|0|pharm||0|6
板蓝根颗粒|10g*20袋|20|15.80|Z|A01AB|0|pharm||0|6
感冒灵颗粒|10g*9袋|9|13.60|Z|A01AA|0|pharm||0|7
血塞通软胶囊|0.33g*24粒|24|38.60|Z|A04CA|0|any||1|4
银杏叶片|19.2mg*24片|24|29.90|Z|A04CB|0|any||0|4
通心络胶囊|0.26g*30粒|30|56.80|Z|A04CD|0|any||1|4
麝香保心丸|22.5mg*42丸|42|49.50|Z|A04CE|0|any||1|4
安宫牛黄丸|3g*1丸|1|458.00|Z|A16AA|0|pharm||0|2
黄芪(饮片)|100g|1|18.00|T|YP001|0|any||0|3
当归(饮片)|100g|1|26.00|T|YP002|0|any||0|2
党参配方颗粒|10g*1袋|1|4.60|T|PF003|0|any||1|2
"""

CATALOG: list[Drug] = []
for _line in _ROWS.strip().splitlines():
    _f = _line.split("|")
    CATALOG.append(Drug(_f[0], _f[1], int(_f[2]), float(_f[3]), _f[4], _f[5], _f[6] == "1", _f[7], _f[8],
                        _f[9], float(_f[10])))
