/** The shell every page shares: its own stylesheet and one deferred script, nothing inline. */
export function htmlPage(title: string, script: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="/assets/pages.css">
<script src="${script}" defer></script>
</head>
<body>
${body}
</body>
</html>`;
}

export const PAGES_CSS = `
[hidden] { display: none !important; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 0 16px 32px; color: #1d2433; }
header { display: flex; align-items: baseline; justify-content: space-between; border-bottom: 1px solid #dde2ea; margin-bottom: 16px; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 24px; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eef1f5; }
th { color: #5b6678; font-weight: 600; } tr.clickable { cursor: pointer; } tr.clickable:hover { background: #f4f7fb; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; } .card { border: 1px solid #dde2ea; border-radius: 6px; padding: 8px 12px; min-width: 90px; }
.card strong { display: block; font-size: 18px; } .card span, .muted { color: #5b6678; }
form { display: flex; gap: 8px; align-items: center; margin: 24px 0; } input { padding: 4px 8px; min-width: 320px; }
`;
