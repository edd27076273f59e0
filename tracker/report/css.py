"""The readiness report's style sheet, inlined into the page so the file stands alone.

Made for A4 paper first: colours are forced into print (`print-color-adjust: exact`), but every
coloured mark also carries its word, so a black-and-white copy says the same thing.
"""

CSS = """
@page { size: A4; margin: 12mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body {
  font-family: "DejaVu Sans", "Segoe UI", "Helvetica Neue", Arial, sans-serif;
  font-size: 9.5pt; line-height: 1.3; color: #111; background: #fff;
  margin: 0 auto; max-width: 186mm;
}
@media screen { body { padding: 8mm 4mm; } }
h1 { font-size: 16pt; margin: 0 0 1mm; }
h2 {
  font-size: 12.5pt; margin: 6mm 0 2mm; padding-bottom: 0.5mm;
  border-bottom: 0.6mm solid #333; break-after: avoid; page-break-after: avoid;
}
h3 { font-size: 10.5pt; margin: 4mm 0 1mm; break-after: avoid; page-break-after: avoid; }
p { margin: 1mm 0 2mm; }
p.intro { break-after: avoid; page-break-after: avoid; }
.muted { color: #555; }
.small { font-size: 8.5pt; }
.meta { display: grid; grid-template-columns: auto 1fr; gap: 0.5mm 4mm; margin: 2mm 0; }
.meta dt { font-weight: bold; }
.meta dd { margin: 0; }
table { width: 100%; table-layout: fixed; border-collapse: collapse; margin: 0 0 3mm; }
thead { display: table-header-group; }
th, td {
  border: 0.25mm solid #999; padding: 0.8mm 1.5mm; text-align: left; vertical-align: top;
  overflow-wrap: break-word;
}
th { background: #e8e8e8; font-weight: bold; }
tr, li { break-inside: avoid; page-break-inside: avoid; }
td.wrap { overflow-wrap: anywhere; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.nowrap, th.nowrap { white-space: nowrap; }
.tag { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 8.5pt; }
.site-block { break-inside: avoid; page-break-inside: avoid; }

/* State marks: colour for the eye, the word (and a symbol) for black-and-white paper. */
.st {
  display: inline-block; font-weight: bold; white-space: nowrap;
  padding: 0.2mm 1.5mm; border-radius: 1mm; border: 0.25mm solid #666;
}
.ready, .installed, .v-ok { background: #c8e6c9; color: #134d16; }
.degraded, .packed, .v-warn, .stale { background: #ffe08a; color: #5c4000; }
.not_ready, .missing, .v-bad { background: #f4a6a6; color: #6b0000; }
.arrived { background: #bfe0f5; color: #0b3a5c; }
.at_origin, .v-none { background: #e4e4e4; color: #333; }
.flag { background: #f4a6a6; color: #6b0000; font-weight: bold; }

.summary { display: flex; flex-wrap: wrap; gap: 2mm 4mm; margin: 2mm 0 1mm; }
.bar {
  display: flex; height: 4mm; border: 0.25mm solid #666; margin: 1mm 0 1mm;
  overflow: hidden; border-radius: 1mm;
}
.bar span { display: block; height: 100%; }
.bar .installed { background: #4caf50; }
.bar .arrived { background: #42a5f5; }
.bar .packed { background: #ffca28; }
.bar .at_origin { background: #e0e0e0; }
.bar .missing { background: #e53935; }

/* "Can each site open?": the verdicts first, larger, with everything that blocks each site. */
.verdicts td.site { font-weight: bold; font-size: 10.5pt; }
.verdicts .st { font-size: 10pt; white-space: normal; }
ul.blocking { margin: 0; padding-left: 4mm; }
ul.blocking li { margin: 0 0 0.5mm; }
.holder { break-inside: avoid; page-break-inside: avoid; }
.holder .sign { margin: 5mm 0 3mm; }

tr.undone td { text-decoration: line-through; color: #666; }
tr.undone td.why { text-decoration: none; }
tr.marker td { background: #f2f2f2; font-weight: bold; text-align: center; }

/* Paper checklists: one site per page. */
.checklist { break-before: page; page-break-before: always; }
.checklist td.box, .checklist th.box { text-align: center; }
.checklist th.box { font-size: 8.5pt; white-space: nowrap; }
.checklist td.box { font-size: 15pt; line-height: 1; padding: 0.5mm; }
.checklist tr { height: 9mm; }
.checklist td { vertical-align: middle; }
.sign { display: grid; grid-template-columns: 1fr 1fr; gap: 6mm; margin: 9mm 0 3mm; }
.sign div { border-top: 0.25mm solid #333; padding-top: 1mm; }
"""
