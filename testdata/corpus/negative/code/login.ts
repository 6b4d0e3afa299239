export async function login(username: string, password: string) {
  const res = await fetch("/api/login", {
    method: "POST",
    body: JSON.stringify({ username, password }),
  });
  const { token } = await res.json();
  localStorage.setItem("token", token);
}
