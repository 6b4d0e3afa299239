import { initializeApp } from "firebase/app";

const firebaseConfig = {
  apiKey: "AIzaM96mrRiqfb1YgP82dVs7wqWUPnX_6vtqKG5",
  authDomain: "shoplist-9a1c2.firebaseapp.com",
  projectId: "shoplist-9a1c2",
  storageBucket: "shoplist-9a1c2.appspot.com",
  messagingSenderId: "856913550008",
  appId: "1:862369740641:web:65359477851c81bbd92f86",
};

export const app = initializeApp(firebaseConfig);
