// A server component rendering the client one: the server imports the package too, which must do nothing.
import Turn from "./Turn.js";

export default function Page() {
  return <main><h1>Discreet</h1><Turn /></main>;
}
