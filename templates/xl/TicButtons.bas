Attribute VB_Name = "TicButtons"
' TicButtons: the buttons of the console workbook written by "tic xl console"
' (Shijiazhuang Technology Innovation Center toolkit, sjz-tic).
'
' Each button runs one action of the toolkit and fills the result area of the
' first sheet. Two ways to reach Python, chosen by the cell named tic_mode:
'   xlwings       Microsoft Excel with the xlwings module of this workbook:
'                 RunPython calls toolkit.xl.buttons.press(action), which reads
'                 the input cells and writes the result area itself.
'   command line  WPS Office, or Excel without xlwings: the input cells are
'                 written to a request file, "python -m toolkit xl run" (or
'                 sjz-tic) runs the action and writes the cells to fill, and
'                 this module fills them in.
'   auto          xlwings in Microsoft Excel, the command line elsewhere.
' Afterwards the main output is opened when the cell tic_open says so.
'
' This file is plain ASCII on purpose (it imports the same way on every code
' page); Chinese messages are spelled as Unicode code points, see Zh().
' To add it to a workbook by hand: VBA editor (Alt+F11), File > Import File.
Option Explicit

Private Const DEFAULT_MODULE As String = "toolkit.xl.buttons"

Public Sub TicValidate()
    TicPress "validate"
End Sub

Public Sub TicCollect()
    TicPress "collect"
End Sub

Public Sub TicEvaluate()
    TicPress "evaluate"
End Sub

Public Sub TicAnnual()
    TicPress "annual"
End Sub

Public Sub TicDecide()
    TicPress "decide"
End Sub

Public Sub TicLetters()
    TicPress "letters"
End Sub

Public Sub TicBatch()
    TicPress "batch"
End Sub

Public Sub TicPress(ByVal action As String)
    Dim mode As String, pyModule As String, viaXlwings As Boolean
    On Error GoTo Failed
    mode = LCase$(Trim$(CStr(NamedCell("tic_mode").Value)))
    NamedCell("tic_open_path").Value = ""
    ShowState RUNNING_TEXT(), RGB(217, 217, 217)
    SetStatusBar "tic: " & action & " ..."
    viaXlwings = UseXlwings(mode)
    If viaXlwings Then
        pyModule = ConfValue("TIC_MODULE")
        If pyModule = "" Then pyModule = DEFAULT_MODULE
        Application.Run "'" & Replace(ThisWorkbook.Name, "'", "''") & "'!RunPython", _
            "import " & pyModule & " as tic_buttons; tic_buttons.press('" & action & "')"
        ' xlwings shows its own (English) box when Python cannot run and returns: the state still says "running"
        If CStr(NamedCell("tic_state").Value) = RUNNING_TEXT() Then
            ' "Could not run: Excel got no answer from Python (Python, tic or xlwings may be missing)." + hint
            ShowState Zh("672A 80FD 8FD0 884C FF1A 0045 0078 0063 0065 006C 0020 6CA1 6709 5F97 5230 0020 0050 0079 0074 0068 006F 006E 0020 7684 7ED3 679C FF08 53EF 80FD 6CA1 6709 5B89 88C5 0020 0050 0079 0074 0068 006F 006E 3001 0074 0069 0063 0020 6216 0020 0078 006C 0077 0069 006E 0067 0073 FF09") & _
                XlwingsHint(), RGB(255, 199, 206)
            SetStatusBar False
            Exit Sub
        End If
    Else
        RunCommandLine action
    End If
    SetStatusBar False
    OpenResult
    Exit Sub
Failed:
    SetStatusBar False
    ' "Could not run: <reason>" and, for xlwings, "(without xlwings, set the run mode to the command line.)"
    Dim hint As String
    If viaXlwings Then hint = XlwingsHint()
    ShowState Zh("672A 80FD 8FD0 884C FF1A") & Err.Description & hint, RGB(255, 199, 206)
End Sub

Private Function RUNNING_TEXT() As String
    RUNNING_TEXT = Zh("6B63 5728 8FD0 884C FF0C 8BF7 7A0D 5019 2026 2026")
End Function

Private Function XlwingsHint() As String
    ' "(without xlwings, set the run mode to the command line (tic).)"
    XlwingsHint = Zh("FF08 672A 5B89 88C5") & " xlwings " & _
        Zh("65F6 FF0C 8BF7 628A 201C 8FD0 884C 65B9 5F0F 201D 6539 4E3A 201C 547D 4EE4 884C FF08") & "tic" & _
        Zh("FF09 201D 3002 FF09")
End Function

Private Function UseXlwings(ByVal mode As String) As Boolean
    If InStr(mode, "xlwings") > 0 Then
        UseXlwings = True
    ElseIf InStr(mode, "tic") > 0 Then
        UseXlwings = False
    Else
        UseXlwings = (Application.Name = "Microsoft Excel")
    End If
End Function

Private Sub RunCommandLine(ByVal action As String)
    Dim fso As Object, wsh As Object, tmp As String, stem As String, req As String, st As String
    Dim rc As Long
    Set fso = CreateObject("Scripting.FileSystemObject")
    tmp = Environ$("TEMP")
    If tmp = "" Then tmp = ThisWorkbook.Path
    Randomize
    stem = tmp & "\tic-xl-" & Format$(Now, "yyyymmddhhnnss") & "-" & CStr(Int(Rnd() * 1000000))
    req = stem & ".request.txt"
    st = stem & ".status.txt"
    WriteRequest fso, req, action
    Set wsh = CreateObject("WScript.Shell")
    On Error Resume Next
    rc = wsh.Run(TicCommand() & " xl run --request """ & req & """ --status """ & st & """", 0, True)
    If Err.Number <> 0 Then
        Err.Clear
        On Error GoTo 0
        If fso.FileExists(req) Then fso.DeleteFile req
        ' "Could not start the command line tool (<command>): check the Python path on the xlwings.conf sheet
        '  (Interpreter_Win), or install tic (pip install sjz-tic)."
        ShowState Zh("672A 80FD 542F 52A8 547D 4EE4 884C 5DE5 5177 FF08") & TicCommand() & Zh("FF09 FF1A 8BF7 68C0 67E5 201C 0078 006C 0077 0069 006E 0067 0073 002E 0063 006F 006E 0066 201D 9875 0020 0049 006E 0074 0065 0072 0070 0072 0065 0074 0065 0072 005F 0057 0069 006E 0020 4E2D 0020 0070 0079 0074 0068 006F 006E 002E 0065 0078 0065 0020 7684 8DEF 5F84 662F 5426 6B63 786E FF0C 6216 5728 547D 4EE4 63D0 793A 7B26 4E2D 8FD0 884C 0020 0070 0069 0070 0020 0069 006E 0073 0074 0061 006C 006C 0020 0073 006A 007A 002D 0074 0069 0063 0020 5B89 88C5 672C 5DE5 5177 3002"), _
            RGB(255, 199, 206)
        Exit Sub
    End If
    On Error GoTo 0
    If fso.FileExists(st) Then
        ApplyStatus fso, st
        fso.DeleteFile st
    Else
        ' "The command line tool did not run or stopped (exit code N). See the notes sheet ..."
        ShowState Zh("547D 4EE4 884C 5DE5 5177 6CA1 6709 8FD0 884C 6216 4E2D 9014 51FA 9519 FF08 9000 51FA 7801") & " " & _
            CStr(rc) & Zh("FF09 3002 8BF7 6309 201C 8BF4 660E 201D 9875 68C0 67E5 662F 5426 5DF2 5B89 88C5") & " Python " & _
            Zh("548C") & " tic" & Zh("FF0C 6216 5728 201C") & "xlwings.conf" & Zh("201D 9875 7684") & " Interpreter_Win " & _
            Zh("586B 5199") & " python.exe " & Zh("7684 5B8C 6574 8DEF 5F84 3002"), RGB(255, 199, 206)
    End If
    If fso.FileExists(req) Then fso.DeleteFile req
End Sub

Private Function TicCommand() As String
    ' The Python that has the toolkit (xlwings.conf: Interpreter_Win), else sjz-tic on the PATH.
    Dim exe As String
    exe = CreateObject("WScript.Shell").ExpandEnvironmentStrings(ConfValue("Interpreter_Win"))
    If exe <> "" And LCase$(exe) <> "python" And LCase$(exe) <> "pythonw" Then
        TicCommand = """" & exe & """ -m toolkit"
    Else
        TicCommand = "sjz-tic"
    End If
End Function

Private Sub WriteRequest(ByVal fso As Object, ByVal path As String, ByVal action As String)
    ' One "name<TAB>value" line per input cell (every single-cell name starting with tic_), UTF-16.
    Dim f As Object, n As Object, target As Range
    Set f = fso.CreateTextFile(path, True, True)
    f.WriteLine "action" & vbTab & action
    f.WriteLine "book" & vbTab & ThisWorkbook.FullName
    For Each n In ThisWorkbook.Names
        If LCase$(Left$(n.Name, 4)) = "tic_" Then
            Set target = Nothing
            On Error Resume Next
            Set target = n.RefersToRange
            On Error GoTo 0
            If Not target Is Nothing Then
                If target.Cells.Count = 1 Then f.WriteLine n.Name & vbTab & Replace(CStr(target.Value), vbTab, " ")
            End If
        End If
    Next n
    f.Close
End Sub

Private Sub ApplyStatus(ByVal fso As Object, ByVal path As String)
    ' Lines "kind<TAB>address<TAB>value": clear, value, formula, height (points), color (RRGGBB or empty).
    Dim f As Object, ws As Worksheet, parts() As String, line As String
    Set ws = NamedCell("tic_state").Worksheet
    Set f = fso.OpenTextFile(path, 1, False, -1)
    Do While Not f.AtEndOfStream
        line = f.ReadLine
        parts = Split(line, vbTab, 3)
        If UBound(parts) = 2 Then
            Select Case parts(0)
                Case "clear"
                    ws.Range(parts(1)).ClearContents
                Case "value"
                    ws.Range(parts(1)).Value = parts(2)
                Case "formula"
                    ws.Range(parts(1)).Formula = parts(2)
                Case "height"
                    ws.Range(parts(1)).RowHeight = Val(parts(2))
                Case "color"
                    If parts(2) = "" Then
                        ws.Range(parts(1)).Interior.Pattern = -4142 ' xlNone
                    Else
                        ws.Range(parts(1)).Interior.Color = RGB(CLng("&H" & Mid$(parts(2), 1, 2)), _
                            CLng("&H" & Mid$(parts(2), 3, 2)), CLng("&H" & Mid$(parts(2), 5, 2)))
                    End If
            End Select
        End If
    Loop
    f.Close
End Sub

Private Sub OpenResult()
    Dim target As String
    If Trim$(CStr(NamedCell("tic_open").Value)) <> Zh("662F") Then Exit Sub
    target = Trim$(CStr(NamedCell("tic_open_path").Value))
    If target = "" Then Exit Sub
    On Error Resume Next
    ThisWorkbook.FollowHyperlink target
    On Error GoTo 0
End Sub

Private Sub SetStatusBar(ByVal text As Variant)
    ' The status bar is a nicety: a host without one (or refusing the value) must not stop the action.
    On Error Resume Next
    Application.StatusBar = text
    On Error GoTo 0
End Sub

Private Sub ShowState(ByVal text As String, ByVal color As Long)
    With NamedCell("tic_state")
        .Value = text
        .Interior.Color = color
    End With
End Sub

Private Function NamedCell(ByVal name As String) As Range
    Set NamedCell = ThisWorkbook.Names(name).RefersToRange
End Function

Private Function ConfValue(ByVal key As String) As String
    ' A value of the xlwings.conf sheet (keys in column A from A1 down, values in column B).
    Dim ws As Worksheet, r As Long
    On Error Resume Next
    Set ws = ThisWorkbook.Worksheets("xlwings.conf")
    On Error GoTo 0
    If ws Is Nothing Then Exit Function
    For r = 1 To 100
        If Trim$(CStr(ws.Cells(r, 1).Value)) = "" Then Exit Function
        If UCase$(Trim$(CStr(ws.Cells(r, 1).Value))) = UCase$(key) Then
            ConfValue = Trim$(CStr(ws.Cells(r, 2).Value))
            Exit Function
        End If
    Next r
End Function

Private Function Zh(ByVal codes As String) As String
    ' Text from hexadecimal Unicode code points separated by spaces, e.g. Zh("662F").
    Dim parts() As String, i As Long
    parts = Split(codes, " ")
    For i = LBound(parts) To UBound(parts)
        If parts(i) <> "" Then Zh = Zh & ChrW$(CLng("&H" & parts(i)))
    Next i
End Function
