/** The shell every page of ours shares: stylesheets and module scripts of this Worker, nothing inline. */
export function htmlPage(title: string, assets: { styles: string[]; scripts: string[] }, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
${assets.styles.map((href) => `<link rel="stylesheet" href="${href}">`).join("\n")}
${assets.scripts.map((src) => `<script type="module" src="${src}"></script>`).join("\n")}
</head>
<body>
${body}
</body>
</html>`;
}
