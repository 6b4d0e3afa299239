var cs = "Data Source=SQL01\\PROD;Initial Catalog=Payroll;User Id=payroll_svc;Password=Granite!1171willow;";
using var conn = new SqlConnection(cs);
