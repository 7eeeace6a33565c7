import Foundation
import HL7v2
import Testing

@Suite("HL7 v2 ER7 parsing")
struct ER7MessageTests {
    @Test("fields, components, repetitions and subcomponents by HL7 number; MSH counts its separator as MSH-1")
    func structure() throws {
        let message = try ER7Message(parsing: """
            MSH|^~\\&|EPIC|ED|EDTRIAGE|HOSP|20261203071500||ADT^A04^ADT_A01|MSG1|P|2.5.1\r\
            PID|1||MRN1^^^HOSP^MR~NHS9^^^NHS^NH||DOE^JANE&Q||19640212|F\r
            """)
        let msh = try #require(message.segment("MSH"))
        #expect(msh.value(1) == "|" && msh.value(2) == "^~\\&")
        #expect(msh.value(3) == "EPIC" && msh.value(9) == "ADT" && msh.value(9, component: 2) == "A04")
        #expect(message.messageType == "ADT" && message.triggerEvent == "A04")
        #expect(message.controlID == "MSG1" && message.version == "2.5.1")
        let pid = try #require(message.segment("PID"))
        #expect(pid.value(3) == "MRN1" && pid.value(3, component: 4) == "HOSP")
        #expect(pid.repetitionCount(3) == 2 && pid.value(3, repetition: 2) == "NHS9")
        #expect(pid.value(5, component: 2) == "JANE" && pid.value(5, component: 2, subcomponent: 2) == "Q")
        #expect(pid.value(2) == nil && pid.value(40) == nil && pid.value(3, component: 9) == nil)
    }

    @Test("the delimiters come from MSH-1 and MSH-2; escapes resolve to the delimiters they stand for")
    func delimitersAndEscapes() throws {
        let message = try ER7Message(parsing: "MSH#*@!%#A#B\nNTE#1##a#F#b!F!c!S!d!T!e!R!f!E!g!.br!h!X4869!!H!i\n")
        #expect(message.delimiters.field == "#" && message.delimiters.component == "*")
        let note = try #require(message.segment("NTE"))
        #expect(note.value(3) == "a")
        #expect(note.value(4) == "F")
        #expect(note.value(5) == "b#c*d%e@f!g\nhHii")
        let standard = try ER7Message(parsing: "MSH|^~\\&|A\rNTE|1||Systolic \\T\\ diastolic 120\\S\\80, drug X\\F\\Y\r")
        #expect(standard.segment("NTE")?.value(3) == "Systolic & diastolic 120^80, drug X|Y")
    }

    @Test("segments end at CR, LF or CRLF; anything that is not HL7 v2 is refused with the reason")
    func refusals() throws {
        let lines = try ER7Message(parsing: "MSH|^~\\&|A\r\nPID|1\nPV1|1|E\r")
        #expect(lines.segments.map(\.id) == ["MSH", "PID", "PV1"])
        #expect(throws: ER7Error.self) { try ER7Message(parsing: "") }
        #expect(throws: ER7Error.self) { try ER7Message(parsing: "{\"json\": true}") }
        #expect(throws: ER7Error.self) { try ER7Message(parsing: "MSH|^^\\&|A\r") }
        #expect(throws: ER7Error.malformed(segment: 2, "a segment id must be three capitals or digits")) {
            try ER7Message(parsing: "MSH|^~\\&|A\rpid|1\r")
        }
    }

    @Test("an acknowledgement answers in the message's delimiters and version, echoing its control id")
    func acknowledgement() throws {
        let message = try ER7Message(parsing: "MSH|^~\\&|EPIC|ED|EDTRIAGE|HOSP|20261203071500||ADT^A04|MSG7|P|2.4\r")
        let date = Date(timeIntervalSince1970: 1_796_282_100)
        let accepted = ER7Acknowledgement(.accepted).encoded(answering: message, application: "EDTRIAGE",
                                                             facility: "HOSP", controlID: "ACK7", at: date)
        let ack = try ER7Message(parsing: accepted)
        #expect(ack.messageType == "ACK" && ack.triggerEvent == "A04" && ack.controlID == "ACK7" && ack.version == "2.4")
        #expect(ack.segment("MSH")?.value(5) == "EPIC" && ack.segment("MSH")?.value(7) == "20261203071500+0000")
        #expect(ack.segment("MSA")?.value(1) == "AA" && ack.segment("MSA")?.value(2) == "MSG7")
        #expect(ack.segment("ERR") == nil)

        let error = ER7Acknowledgement(.error, text: "OBX-6 unit | not accepted", location: ER7Location("OBX", 2, 6))
            .encoded(answering: message, application: "EDTRIAGE", facility: "HOSP", controlID: "ACK8", at: date)
        let nack = try ER7Message(parsing: error)
        #expect(nack.segment("MSA")?.value(1) == "AE" && nack.segment("MSA")?.value(3) == "OBX-6 unit | not accepted")
        let err = try #require(nack.segment("ERR"))
        #expect(err.value(2) == "OBX" && err.value(2, component: 2) == "2" && err.value(2, component: 3) == "6")
        #expect(err.value(3) == "102" && err.value(4) == "E")
    }
}
