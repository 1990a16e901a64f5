// rich-text ships no type declarations; only the parts Concord touches are declared.
declare module 'rich-text' {
  const richText: { type: { name: string; uri: string; [key: string]: unknown } };
  export default richText;
}
