import Anthropic from "@anthropic-ai/sdk";

const anthropic = new Anthropic({ apiKey: "sk-ant-api03-yz48yljEuEpYtpIoVzTh1qw_8rfoms7L9fvKc0Xem4eaDYsFaB9Yw1NfodJ68ST_pUPUMIzkNkowblYpDPt677US6bSehAA" });
