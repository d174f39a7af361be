// What the pages' scripts share: an element made with its attributes ("text": its text) and children.
export const el = (name, attrs = {}, ...children) => {
  const node = document.createElement(name);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
};
