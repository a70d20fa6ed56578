"""Turn plan records into index chunks: one per measure plus the document's own paragraphs."""
from __future__ import annotations

from dataclasses import dataclass

from .records import Plan, Role


@dataclass(frozen=True)
class Chunk:
    id: str                  # "m038", "doc-preamble"
    text: str                # what is shown and matched
    embed_text: str          # what is embedded (text plus its headings)
    metadata: dict

    @property
    def measure_number(self) -> int:
        return int(self.metadata.get("number", 0))


def unit_key(name: str) -> str:
    """Metadata key for a unit, so "what must unit X do" is a metadata filter."""
    return f"u:{name}"


def measure_chunks(plan: Plan) -> list[Chunk]:
    chunks = []
    for m in plan.measures:
        part, section = plan.part(m.part_number), plan.section(m.section_number)
        metadata: dict = {
            "kind": "measure", "number": m.number,
            "part": m.part_number, "part_title": part.title,
            "section": m.section_number, "section_title": section.title,
            "deadlines": "；".join(d.phrase for d in m.deadlines),
            "deadline_years": ",".join(sorted({str(d.year) for d in m.deadlines if d.year})),
            "targets": "；".join(t.value for t in m.targets),
        }
        for role in Role:
            metadata[f"role:{role.value}"] = "、".join(u.name for u in m.units_with_role(role))
        for u in m.units:
            metadata[unit_key(u.name)] = u.role.value
        chunks.append(Chunk(
            id=f"m{m.number:03d}", text=m.text,
            embed_text=f"{part.title}。{section.title}。{m.text}", metadata=metadata))
    return chunks


def document_chunks(plan: Plan) -> list[Chunk]:
    doc = plan.document
    header = (f"{doc.title}，文号{doc.doc_number}，{'、'.join(doc.issuing_offices)}于"
              f"{doc.issue_date}印发。{doc.notice_title}。{doc.notice}")
    paragraphs = {
        "doc-header": ("文件头", header),
        "doc-preamble": ("前言", doc.preamble),
        "doc-guiding-thought": ("指导思想", doc.guiding_thought),
        "doc-overall-goals": ("总体目标", doc.overall_goals),
        "doc-closing": ("结语", doc.closing),
    }
    return [Chunk(id=key, text=text, embed_text=f"{label}：{text}",
                  metadata={"kind": "document", "number": 0, "label": label})
            for key, (label, text) in paragraphs.items() if text]


def all_chunks(plan: Plan) -> list[Chunk]:
    return measure_chunks(plan) + document_chunks(plan)
