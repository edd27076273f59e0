"""Label pages into a PDF: CCITT G4 compressed 1-bit images on pages of the stock's size in
points, so the labels come out right when printed at 100 %.

Pages are drawn in worker processes (drawing is CPU-bound Python, so threads would not help)
and written one at a time, so memory stays flat however many labels there are.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from tracker.labels.layouts import Layout
from tracker.labels.pages import Label, page_images


def write_pdf(
    labels: Sequence[Label], layout: Layout, path: str | Path, workers: int | None = None
) -> int:
    """Write the pages to a PDF whose page size is the stock's size. Returns the page count.

    Pillow's PdfParser writes the file a page at a time (Image.save(save_all=True) would hold
    every page in memory first: about 430 MB for 1,000 labels).
    """
    from PIL import PdfParser

    count = -(-len(labels) // layout.per_page)
    w_pt, h_pt = layout.page_w * 72 / 25.4, layout.page_h * 72 / 25.4
    with open(path, "wb") as f:
        pdf = PdfParser.PdfParser(f=f, mode="w+b")
        pdf.start_writing()
        pdf.write_header()
        pdf.write_comment("tracker labels, layout " + layout.name)
        refs = [(pdf.next_object_id(0), pdf.next_object_id(0)) for _ in range(count)]
        pdf.pages = [page for page, _ in refs]
        pdf.write_catalog()
        pages = encoded_pages(labels, layout, workers)
        for (page_ref, contents_ref), (w, h, g4) in zip(refs, pages, strict=True):
            image_ref = pdf.write_obj(
                None,
                stream=g4,
                Type=PdfParser.PdfName("XObject"),
                Subtype=PdfParser.PdfName("Image"),
                Width=w,
                Height=h,
                Filter=PdfParser.PdfArray([PdfParser.PdfName("CCITTFaxDecode")]),
                DecodeParms=PdfParser.PdfArray(
                    [PdfParser.PdfDict({"K": -1, "BlackIs1": True, "Columns": w, "Rows": h})]
                ),
                BitsPerComponent=1,
                ColorSpace=PdfParser.PdfName("DeviceGray"),
            )
            pdf.write_page(
                page_ref,
                Resources=PdfParser.PdfDict(
                    ProcSet=[PdfParser.PdfName("PDF"), PdfParser.PdfName("ImageB")],
                    XObject=PdfParser.PdfDict(image=image_ref),
                ),
                MediaBox=[0, 0, w_pt, h_pt],
                Contents=contents_ref,
            )
            pdf.write_obj(contents_ref, stream=b"q %f 0 0 %f 0 0 cm /image Do Q\n" % (w_pt, h_pt))
        pdf.write_xref_and_trailer()
        pdf.close()
    return count


EncodedPage = tuple[int, int, bytes]
"""(width, height, CCITT G4 data) of a page image."""
LABELS_PER_TASK = 60


def encoded_pages(
    labels: Sequence[Label], layout: Layout, workers: int | None = None
) -> Iterator[EncodedPage]:
    """The compressed pages, in order, drawn by up to `workers` processes (default: one per
    CPU, at most 4). Drawing is CPU-bound Python, so threads would not help; on one CPU, or
    where processes cannot start, the pages are drawn here."""
    per_task = layout.per_page * max(1, LABELS_PER_TASK // layout.per_page)
    chunks = [(labels[i : i + per_task], layout) for i in range(0, len(labels), per_task)]
    if workers is None:
        workers = min(_cpus(), 4)
    workers = min(workers, len(chunks))
    done = 0
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        try:
            with ProcessPoolExecutor(workers) as pool:
                for pages in pool.map(_encode_chunk, chunks):
                    yield from pages
                    done += 1
        # No semaphores (some sandboxes), no process left to fork, or a worker killed (out of
        # memory): draw the pages not yet written here.
        except (OSError, NotImplementedError, BrokenProcessPool):
            pass
    for chunk in chunks[done:]:
        yield from _encode_chunk(chunk)


def _encode_chunk(chunk: tuple[Sequence[Label], Layout]) -> list[EncodedPage]:
    out = []
    for img in page_images(*chunk):
        tiff = io.BytesIO()
        # One strip, as Pillow's PdfImagePlugin does: the G4 data then starts right after the
        # 8-byte TIFF header, and a PDF reader stops at the end-of-block code.
        img.save(tiff, "TIFF", compression="group4", strip_size=-(-img.width // 8) * img.height)
        out.append((img.width, img.height, tiff.getvalue()[8:]))
    return out


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
