import { show } from "./turn.js";

show();
