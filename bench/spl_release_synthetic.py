"""SYNTHETIC DailyMed release for benchmarks: a zip of label zips, NOT real medicines.

Built from the structure of a real label (the Dr. Reddy's "IBU" label in
../shared/data/spl-pill-attributes/spl_xml, three tablets, 123 KB with its full label text):
every generated label is that document with a new set id, labeler "SYNTHETIC SPL RELEASE
(benchmark only)", products named "SYNTHETIC pill <label>-<n>", NDC codes "98xxxxxx-n",
and random imprints, colours, shapes, sizes and scores (bench/pill_synthetic.py's
distributions). Each product gets an SPLIMAGE and its label zip the photo it names (small
generated JPEGs). The layout is DailyMed's: `prescription/<date>_<setid>.zip`, each holding
`<setid>.xml` and the images. Never load this into a database people use.

    .venv/bin/python bench/spl_release_synthetic.py --out /tmp/dm_spl_release_SYNTHETIC.zip [--labels 20000]
"""

from __future__ import annotations

import argparse
import io
import random
import re
import sys
import time
import uuid
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pill_synthetic import synthetic_rows  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "spl-pill-attributes" / "spl_xml"
TEMPLATE = "HHS-pillbox__20140103_24731405-219c-79b4-ecf0-7d5fbfda94ba__9ab7bd16-f18c-70bd-2b23-dd2cc6240051.xml"
SYNTHETIC_SPL_LABELER = "SYNTHETIC SPL RELEASE (benchmark only)"
NDC_PREFIX = "98"
PRODUCTS_PER_LABEL = 3
IMAGE_POOL = 64

IMAGE_XML = ('<subjectOf><characteristic classCode="OBS"><code code="SPLIMAGE" codeSystem="2.16.840.1.113883.1.11.19255"/>'
             '<value xsi:type="ED" mediaType="image/jpeg"><reference value="@@IMAGE{n}@@"/></value>'
             '</characteristic></subjectOf>')


def template() -> str:
    """The real label with placeholders where each generated label differs."""
    text = (SHARED / TEMPLATE).read_text(encoding="utf-8")
    text = text.replace('<setId root="24731405-219c-79b4-ecf0-7d5fbfda94ba"/>', '<setId root="@@SETID@@"/>')
    text = text.replace("<name>Dr. Reddy's Laboratories Limited</name>", f"<name>{SYNTHETIC_SPL_LABELER}</name>", 1)
    text = text.replace("<name>IBU</name>", "<name>@@NAME@@</name>")
    for n, ndc in enumerate(("55111-682", "55111-683", "55111-684")):
        text = text.replace(f'code="{ndc}"', f'code="@@NDC{n}@@"')
    # The three products' characteristics, in document order.
    for kind, pattern, replacement in (
        ("SPLCOLOR", r'(SPLCOLOR"[^>]*/>\s*<value code=")C\d+(" displayName=")[^"]+', r"\g<1>@@CC{n}@@\g<2>@@CN{n}@@"),
        ("SPLSHAPE", r'(SPLSHAPE"[^>]*/>\s*<value code=")C\d+(" displayName=")[^"]+', r"\g<1>@@SC{n}@@\g<2>@@SN{n}@@"),
        ("SPLIMPRINT", r'(SPLIMPRINT"[^>]*/>\s*<value xsi:type="ST">)[^<@]+', r"\g<1>@@IMPRINT{n}@@"),
        ("SPLSCORE", r'(SPLSCORE"[^>]*/>\s*<value value=")\d+', r"\g<1>@@SCORE{n}@@"),
        ("SPLSIZE", r'(SPLSIZE"[^>]*/>\s*<value unit="mm" value=")[\d.]+("[^>]*/>\s*</characteristic>\s*</subjectOf>)',
         r"\g<1>@@SIZE{n}@@\g<2>" + IMAGE_XML),
    ):
        for n in range(PRODUCTS_PER_LABEL):
            text, count = re.subn(pattern, replacement.replace("{n}", str(n)), text, count=1)
            assert count == 1, (kind, n)
    return text


def images(rng: random.Random) -> list[bytes]:
    from PIL import Image, ImageDraw

    pool = []
    for _ in range(IMAGE_POOL):
        image = Image.new("RGB", (400, 300), (235, 235, 235))
        fill = tuple(rng.randint(40, 250) for _ in range(3))
        ImageDraw.Draw(image).ellipse((60, 70, 340, 230), fill=fill, outline=(90, 90, 90), width=3)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
        pool.append(out.getvalue())
    return pool


def build(out: Path, labels: int, seed: int = 20261207) -> None:
    from webapp.blueprints.pills.vocab import COLOUR_BY_CODE, SHAPE_BY_CODE

    rng = random.Random(seed)
    text = template()
    pool = images(rng)
    rows = synthetic_rows(labels * PRODUCTS_PER_LABEL, seed)
    token = re.compile(r"@@(\w+?)@@")
    started = time.perf_counter()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as release:
        for n in range(1, labels + 1):
            setid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            values = {"SETID": setid, "NAME": f"SYNTHETIC pill {n}"}
            files: dict[str, bytes] = {}
            for k in range(PRODUCTS_PER_LABEL):
                row = next(rows)
                image_name = f"synthetic-{n}-{k}.jpg"
                size = row["size_mm"]
                values.update({
                    f"NDC{k}": f"{NDC_PREFIX}{n:06d}-{k}", f"CC{k}": row["color1"], f"CN{k}": COLOUR_BY_CODE[row["color1"]].name,
                    f"SC{k}": row["shape"], f"SN{k}": SHAPE_BY_CODE[row["shape"]].name,
                    f"IMPRINT{k}": row["imprint"] or "", f"SCORE{k}": str(row["score"]),
                    f"SIZE{k}": f"{size:g}", f"IMAGE{k}": image_name,
                })
                files[image_name] = rng.choice(pool)
            xml = token.sub(lambda m, v=values: v[m.group(1)].replace("&", "&amp;").replace("<", "&lt;"), text)
            inner = io.BytesIO()
            with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as label:
                label.writestr(f"{setid}.xml", xml.encode("utf-8"))
                for name, data in files.items():
                    label.writestr(name, data, compress_type=zipfile.ZIP_STORED)  # JPEGs do not pack
            release.writestr(f"prescription/20261201_{setid}.zip", inner.getvalue())
            if n % 2000 == 0:
                print(f"  {n}/{labels} SYNTHETIC labels", flush=True)
    print(f"Wrote {labels} SYNTHETIC labels ({labels * PRODUCTS_PER_LABEL} products) to {out}, "
          f"{out.stat().st_size / 1e6:.0f} MB, in {time.perf_counter() - started:.0f} s.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--labels", type=int, default=20_000)
    args = parser.parse_args()
    build(args.out, args.labels)


if __name__ == "__main__":
    main()
