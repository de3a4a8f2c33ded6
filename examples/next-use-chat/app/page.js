import Chat from "./Chat.js";

export default function Page() {
  return <main><h1>Discreet + useChat</h1><Chat /></main>;
}
