import HummingbirdAuth
import TriageCore
import TriageStore

/// Holds every department-scoped request to the departments its token covers. The role check of the access table
/// runs first (`EndpointPolicy`); this one answers 403 for a department, or an arrival in a department, the token
/// does not name. An arrival's department never changes, so checking it before acting cannot go stale.
struct DepartmentGate: Sendable {
    /// The service's departments, in configuration order.
    let departments: [String]
    let arrivals: any ArrivalQueue

    /// Refuses a request about `department` from a token that does not cover it.
    func requireAccess(to department: String, _ context: TriageRequestContext) throws {
        guard try context.requireIdentity().departments.covers(department) else {
            throw Problem(.forbidden, "this token does not cover department \(department)")
        }
    }

    /// Refuses a new arrival for a department the token does not cover; call after validation placed it.
    func requireAccess(to submission: ArrivalSubmission, _ context: TriageRequestContext) throws {
        try requireAccess(to: submission.storedDepartment, context)
    }

    /// Refuses a request about an arrival in a department the token does not cover. An unknown arrival passes:
    /// the endpoint answers for it (404) as it would without departments.
    func requireAccess(toArrival arrivalID: Int, _ context: TriageRequestContext) async throws {
        if let department = try await arrivals.department(ofArrival: arrivalID) {
            try requireAccess(to: department, context)
        }
    }

    /// The service's departments the token covers, in configuration order.
    func visible(to context: TriageRequestContext) throws -> [String] {
        let access = try context.requireIdentity().departments
        return departments.filter(access.covers)
    }

    /// The department a board request is for: `department` when given (known and covered), else the only one
    /// the token covers.
    func board(_ department: String?, _ context: TriageRequestContext) throws -> String {
        if let department {
            try requireKnown(department)
            try requireAccess(to: department, context)
            return department
        }
        let visible = try visible(to: context)
        guard visible.count == 1 else {
            guard !visible.isEmpty else { throw Problem(.forbidden, "this token covers none of this service's departments") }
            throw Problem(.validation, "department is required: one of \(visible.joined(separator: ", "))",
                          field: "department")
        }
        return visible[0]
    }

    /// Which departments' rows a listing (audit, failed arrivals) may show: `department` alone when given, else
    /// every department the token covers; nil for a token that covers all, whose listings are not narrowed.
    func listing(_ department: String?, _ context: TriageRequestContext) throws -> Set<String>? {
        if let department {
            try requireKnown(department)
            try requireAccess(to: department, context)
            return [department]
        }
        return try context.requireIdentity().departments.codes
    }

    private func requireKnown(_ department: String) throws {
        guard departments.contains(department) else {
            throw Problem(.validation, "department must be one of \(departments.joined(separator: ", "))",
                          field: "department")
        }
    }
}
