export const metadata = { title: "Discreet + useChat" };

export default function RootLayout({ children }) {
  return <html lang="en"><body>{children}</body></html>;
}
