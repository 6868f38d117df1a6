#!/usr/bin/env python3
"""Draws the synthetic resident ID cards the onboarding tests photograph.

Every person here is invented: the names are common, the ID numbers are
built with a valid check digit for a birth date of our choosing, and the
cards carry no portrait. The files are committed; rerun this (with
Pillow and the WenQuanYi font installed) only to change them.

    python3 scripts/make-id-fixtures.py end2end/fixtures/id
"""
import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
W, H = 856, 540
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_number(region, birth, seq):
    body = f"{region}{birth.replace('-', '')}{seq:03d}"
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS)) % 11]
    return body + check


PEOPLE = {
    # the newcomer of the Playwright journey
    "zhang": dict(name="张秀兰", sex="女", birth="1985-03-12", region="331102", seq=22,
                  address=["浙江省丽水市莲都区碧湖镇", "大港头村18号"],
                  authority="丽水市公安局莲都分局", valid="2016.05.01-2036.05.01"),
    "chen": dict(name="陈国强", sex="男", birth="1972-08-21", region="331121", seq=13,
                 address=["浙江省青田县温溪镇", "港头村东街7号"],
                 authority="青田县公安局", valid="2019.09.02-长期"),
    "liu": dict(name="刘晓燕", sex="女", birth="2010-06-15", region="331102", seq=48,
                address=["浙江省丽水市莲都区", "紫金街道白云路3号"],
                authority="丽水市公安局莲都分局", valid="2024.03.01-2029.03.01"),
    "wang": dict(name="王海", sex="男", birth="1980-11-30", region="331122", seq=35,
                 address=["浙江省缙云县壶镇镇", "前路村126号"],
                 authority="缙云县公安局", valid="2006.01.01-2026.01.01"),
}


def font(size):
    return ImageFont.truetype(FONT, size)


def card():
    img = Image.new("RGB", (W, H), (226, 234, 240))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle([4, 4, W - 5, H - 5], radius=28, outline=(170, 185, 200), width=3)
    return img, d


def front(p):
    img, d = card()
    label, value = font(28), font(34)
    blue = (60, 90, 140)
    y = 50
    d.text((50, y), "姓名", font=label, fill=blue)
    d.text((140, y - 3), p["name"], font=value, fill="black")
    y += 70
    d.text((50, y), "性别", font=label, fill=blue)
    d.text((140, y - 3), p["sex"], font=value, fill="black")
    d.text((240, y), "民族", font=label, fill=blue)
    d.text((330, y - 3), "汉", font=value, fill="black")
    y += 70
    b = p["birth"].split("-")
    d.text((50, y), "出生", font=label, fill=blue)
    d.text((140, y - 3), f"{b[0]} 年 {int(b[1])} 月 {int(b[2])} 日", font=value, fill="black")
    y += 70
    d.text((50, y), "住址", font=label, fill=blue)
    for line in p["address"]:
        d.text((140, y - 3), line, font=value, fill="black")
        y += 48
    d.text((50, 440), "公民身份号码", font=label, fill=blue)
    d.text((250, 436), id_number(p["region"], p["birth"], p["seq"]), font=font(38), fill="black")
    # Where a portrait would be: an empty frame, never a face.
    d.rectangle([600, 60, 800, 320], outline=(150, 165, 180), width=2, fill=(214, 224, 232))
    return img


def back(p):
    img, d = card()
    d.ellipse([60, 40, 180, 160], outline=(200, 60, 60), width=4)
    d.text((250, 60), "中华人民共和国", font=font(46), fill="black")
    d.text((270, 150), "居民身份证", font=font(58), fill="black")
    d.text((120, 340), "签发机关", font=font(28), fill=(60, 90, 140))
    d.text((270, 336), p["authority"], font=font(34), fill="black")
    d.text((120, 420), "有效期限", font=font(28), fill=(60, 90, 140))
    d.text((270, 416), p["valid"], font=font(34), fill="black")
    return img


def photographed(img, seed):
    """As a phone sees it: on a table, slightly turned, softer, noisier."""
    rnd = random.Random(seed)
    table = Image.new("RGB", (W + 120, H + 120), (120, 105, 90))
    table.paste(img, (60, 60))
    table = table.rotate(rnd.uniform(-2.5, 2.5), resample=Image.BICUBIC, fillcolor=(120, 105, 90))
    table = table.filter(ImageFilter.GaussianBlur(0.8))
    px = table.load()
    for _ in range(6000):
        x, y = rnd.randrange(table.width), rnd.randrange(table.height)
        v = rnd.randrange(-40, 40)
        r, g, b = px[x, y]
        px[x, y] = (max(0, min(255, r + v)), max(0, min(255, g + v)), max(0, min(255, b + v)))
    return table


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for i, (key, p) in enumerate(PEOPLE.items()):
        photographed(front(p), i).save(out / f"{key}-front.jpg", quality=82)
        photographed(back(p), 100 + i).save(out / f"{key}-back.jpg", quality=82)
    # A shaken photo: nothing on it can be read.
    front(PEOPLE["zhang"]).filter(ImageFilter.GaussianBlur(9)).save(out / "blurred-front.jpg", quality=70)
    # Selfies: a portrait-orientation frame (the development face check's
    # "live face") and a landscape one (scored as someone else).
    for name, size in (("selfie.jpg", (480, 640)), ("selfie-other.jpg", (640, 480))):
        s = Image.new("RGB", size, (200, 180, 160))
        d = ImageDraw.Draw(s)
        cx, cy = size[0] // 2, size[1] // 2
        d.ellipse([cx - 120, cy - 160, cx + 120, cy + 160], fill=(235, 205, 180))
        s.save(out / name, quality=80)
    # The expected fields, for the accuracy report.
    with open(out / "expected.tsv", "w", encoding="utf-8") as f:
        f.write("file\tname\tid_number\taddress\tvalid_from\tvalid_to\n")
        for key, p in PEOPLE.items():
            frm, to = p["valid"].split("-")
            f.write(f"{key}\t{p['name']}\t{id_number(p['region'], p['birth'], p['seq'])}\t"
                    f"{''.join(p['address'])}\t{frm.replace('.', '-')}\t"
                    f"{'' if to == '长期' else to.replace('.', '-')}\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "end2end/fixtures/id")
