// One DOM helper for the demo and the study page (which loads nothing of the package).
export const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};
