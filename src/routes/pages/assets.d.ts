// What the Worker's imports of page files give: their text (wrangler.toml's [[rules]] import them as
// Text modules). The dashboard's own modules end in .browser.js so that no other import is taken for text.
declare module "*.browser.js" {
  const source: string;
  export default source;
}
declare module "*.css" {
  const source: string;
  export default source;
}
declare module "*.svg" {
  const source: string;
  export default source;
}
declare module "uplot/dist/uPlot.esm.js" {
  const source: string;
  export default source;
}
